/**
 * The scene studio: a local web app over the editing API (`deno task studio`). `openStudio` loads a
 * model and prepares a {@link Studio}, whose `handle` answers HTTP requests for `Deno.serve`; each
 * browser tab edits its own autosaved {@link StudioSession}.
 *
 * @example
 * ```ts
 * import { openStudio } from "./plugins/studio/mod.ts";
 * const opened = await openStudio({ model: "weights/label2city_256p", dataroot: "datasets/cityscapes", stateDir: "results/studio" });
 * Deno.serve({ hostname: "127.0.0.1", port: 8765 }, opened.studio.handle);
 * ```
 *
 * @module
 */
export { modelWidth, type OpenStudio, openStudio, type OpenStudioOptions } from "./open.ts";
export {
  type DatasetEntry,
  listDataset,
  sceneFromFiles,
  sceneFromImages,
  sceneFromZip,
  type SceneModel,
} from "./scene_source.ts";
export { Studio, type StudioOptions } from "./server.ts";
export { cloneScene, RequestError, type SessionState, StudioSession } from "./session.ts";
export { SceneStore, SESSION_ID } from "./store.ts";
