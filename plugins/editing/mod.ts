/**
 * Object-level scene editing: a `Scene` (label map, instance map, per-instance styles) with
 * relabel/remove/paint/paste/restyle and undo/redo, a `SceneRenderer` that re-synthesizes only what
 * changed (and previews styles on crops), scene files, ops files, and `openEditor` for a whole session.
 *
 * @example
 * ```ts
 * import { openEditor } from "./plugins/editing/mod.ts";
 * const editor = await openEditor({ model: "checkpoints/label2city_512p_feat", label, inst });
 * editor.scene.relabel(26001, "truck");
 * await Deno.writeFile("out.png", await editor.png());
 * editor.dispose();
 * ```
 *
 * @module
 */
export { type Editor, type EditorOptions, findFeatureModel, openEditor } from "./editor.ts";
export { type Box, type Point } from "./geometry.ts";
export { applyOps, type EditOp, readOps } from "./ops.ts";
export { type PreviewOptions, type RendererOptions, SceneRenderer, type Synthesize } from "./renderer.ts";
export { type ClassRef, type InstanceInfo, Scene, type SceneOptions } from "./scene.ts";
export { loadScene, type LoadSceneOptions, saveScene, SCENE_FORMAT, sceneFromMaps } from "./scene_io.ts";
