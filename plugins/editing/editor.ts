/**
 * An editing session in one call: a trained model, its clusters, a scene (a saved one, or a dataset's
 * label and instance maps with styles drawn from the clusters) and a renderer over them. This is what
 * `deno task edit` and the editing notebook use.
 *
 * @example
 * ```ts
 * const editor = await openEditor({ model: "weights/label2city_256p_feat", label, inst });
 * editor.scene.setStyle(26001, 3);
 * const png = await editor.png();
 * editor.dispose();
 * ```
 *
 * @module
 */
import { checkpointsWithGenerator, findNetwork } from "../checkpoints/files.ts";
import { join } from "node:path";
import { OptionsError } from "../../kernel/errors.ts";
import { type Clusters, loadClusters } from "../features/clusters.ts";
import type { StyleSpec } from "../features/style_spec.ts";
import { imageToPng } from "../data/write_image.ts";
import { findClustersFile } from "../features/clusters.ts";
import { loadTrainedModel, type TrainedModel } from "../features/trained_model.ts";
import { SceneRenderer } from "./renderer.ts";
import type { Scene } from "./scene.ts";
import { loadScene, sceneFromMaps } from "./scene_io.ts";

/** What to open. */
export interface EditorOptions {
  /** The checkpoint folder of a trained model. */
  model: string;
  /** Which checkpoint (default "latest"). */
  which_epoch?: string;
  /** A saved scene folder … */
  scene?: string;
  /** … or a label map and an instance map. */
  label?: string;
  inst?: string;
  /** The clusters file (default: `clusters_*.json` or `features_clustered_*.npy` in the model folder). */
  clusters?: string;
  /** Styles of a scene made from maps (default: random, seed 0). */
  style?: StyleSpec;
  /** Class names by id. */
  classNames?: readonly string[];
  /** Thing classes (default: those with instance ids ≥ 1000 in the scene). */
  things?: Iterable<number>;
}

/** An open session. */
export interface Editor {
  scene: Scene;
  renderer: SceneRenderer;
  model: TrainedModel;
  /** The model's clusters (null when it has no features, or none were found for a saved scene). */
  clusters: Clusters | null;
  /** The clusters file used, if any. */
  clustersFile: string | null;
  /** The current scene synthesized, as PNG bytes (cached per scene state). */
  png(): Promise<Uint8Array>;
  /** Frees the model and the caches. */
  dispose(): void;
}

/**
 * The first model with instance features under a folder (the folder itself, then its subfolders in
 * name order): a folder holding `<which>_net_G` and `<which>_net_E` (`.safetensors` or `.pth`),
 * "latest" preferred.
 *
 * @param root where to look (e.g. `weights/`)
 * @returns the model folder and checkpoint, or null when there is none
 */
export function findFeatureModel(root: string): { dir: string; which_epoch: string } | null {
  const list = (dir: string) => {
    try {
      return [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return [];
    }
  };
  const dirs = [root, ...list(root).filter((e) => e.isDirectory).map((e) => join(root, e.name))];
  for (const dir of dirs) {
    const names = list(dir).filter((e) => e.isFile).map((e) => e.name);
    const has = (which: string, net: string) => findNetwork(dir, which, net) !== null;
    const whiches = checkpointsWithGenerator(names);
    const which = whiches.includes("latest") && has("latest", "E")
      ? "latest"
      : whiches.find((w) => has(w, "E"));
    if (which) return { dir, which_epoch: which };
  }
  return null;
}

/**
 * Opens a model, its clusters and a scene.
 *
 * @param options model, scene (saved folder or label + inst maps), clusters, styles, names, things
 * @returns the session (dispose it)
 * @throws {OptionsError} when neither a scene nor both maps are given, or a features model has no
 *   clusters for a scene made from maps
 * @throws {CheckpointError} for a missing or unreadable model
 * @throws {DataError} for unreadable maps, scene files or clusters, or clusters of another model
 */
export async function openEditor(options: EditorOptions): Promise<Editor> {
  if (!options.scene && !(options.label && options.inst)) {
    throw new OptionsError(
      "edit",
      "scene",
      "is required: a saved scene folder, or a label map and an instance map",
    );
  }
  const model = await loadTrainedModel(options.model, options.which_epoch ?? "latest");
  try {
    const fit = { feat_num: model.feat_num, label_nc: model.label_nc };
    const clustersFile = model.feat_num > 0 ? options.clusters ?? findClustersFile(options.model) : null;
    const clusters = clustersFile ? await loadClusters(clustersFile, fit) : null;
    let scene: Scene;
    if (options.scene) {
      scene = await loadScene(options.scene, { clusters, classNames: options.classNames });
    } else {
      if (model.feat_num > 0 && !clusters) {
        throw new OptionsError(
          "edit",
          "clusters",
          `is required for a model with instance features: ${options.model} has no clusters_*.json; ` +
            `run deno task encode_features for it`,
        );
      }
      scene = await sceneFromMaps(options.label!, options.inst!, {
        ...fit,
        clusters,
        classNames: options.classNames,
        things: options.things,
        style: options.style,
      });
    }
    if (scene.label_nc !== model.label_nc || scene.feat_num !== model.feat_num) {
      throw new OptionsError(
        "edit",
        "scene",
        `has label_nc ${scene.label_nc} and feat_num ${scene.feat_num} but the model has ${model.label_nc} and ${model.feat_num}`,
      );
    }
    const renderer = new SceneRenderer(scene, model.synthesize, {
      no_instance: model.no_instance,
      multiple: model.multiple,
    });
    return {
      scene,
      renderer,
      model,
      clusters,
      clustersFile,
      async png() {
        const image = await renderer.render();
        try {
          return await imageToPng(image);
        } finally {
          image.dispose();
        }
      },
      dispose() {
        renderer.dispose();
        model.dispose();
      },
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
