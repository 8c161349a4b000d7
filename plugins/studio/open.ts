/**
 * Everything a studio needs, from the command line's words: the model and its clusters, the palette,
 * the dataset's scenes, the scene a new session opens, and the width scenes are worked at.
 *
 * @module
 */
import { basename } from "node:path";
import { OptionsError } from "../../kernel/errors.ts";
import { loadPalette } from "../data/palettes/mod.ts";
import { findClustersFile, loadClusters } from "../features/clusters.ts";
import { loadTrainedModel, type TrainedModel } from "../features/trained_model.ts";
import { listDataset, sceneFromFiles } from "./scene_source.ts";
import { Studio } from "./server.ts";

/** What to open. */
export interface OpenStudioOptions {
  /** The model's checkpoint folder. */
  model: string;
  /** Which checkpoint (default "latest"). */
  which_epoch?: string;
  /** A label map to open (default: the dataset's first scene) … */
  scene?: string | null;
  /** … and its instance map. */
  inst?: string | null;
  /** A dataset folder whose scenes the page lists. */
  dataroot?: string | null;
  /** Class names and colours: a bundled palette name or a JSON file (default "cityscapes"). */
  palette?: string;
  /** Where sessions autosave. */
  stateDir: string;
  /** Width scenes are worked at; 0: the model's training width when it was trained with scale_width, else the maps' own. */
  width?: number;
  /** Largest upload, in MiB (default 16). */
  maxUploadMb?: number;
}

/** An open studio and the model it owns. */
export interface OpenStudio {
  studio: Studio;
  model: TrainedModel;
  /** The width scenes are worked at (0: their own). */
  width: number;
  /** The scene a new session opens. */
  defaultScene: string;
  /** Frees the sessions and the model. */
  dispose(): void;
}

/**
 * The width a model works at: its training `loadSize` when it was trained with `scale_width`.
 *
 * @param config the model's training config
 * @returns the width, or 0 (keep the maps' size)
 */
export function modelWidth(config: Record<string, unknown>): number {
  const scales = String(config.resize_or_crop ?? "scale_width").includes("scale_width");
  return scales && Number.isInteger(config.loadSize) ? Number(config.loadSize) : 0;
}

/**
 * Loads a model and prepares a studio over it (the default scene is opened once to check it).
 *
 * @param options model, scene or dataset, palette, state folder, width, upload limit
 * @returns the studio (dispose it)
 * @throws {OptionsError} for `--inst` without `--scene`, or neither a scene nor a dataset with scenes
 * @throws {CheckpointError} for a missing or unreadable model
 * @throws {DataError} for unreadable maps or clusters
 */
export async function openStudio(options: OpenStudioOptions): Promise<OpenStudio> {
  if (options.inst && !options.scene) {
    throw new OptionsError("studio", "inst", "needs --scene (the label map it belongs to)");
  }
  const dataset = options.dataroot ? listDataset(options.dataroot) : [];
  if (options.dataroot && dataset.length === 0 && !options.scene) {
    throw new OptionsError(
      "studio",
      "dataroot",
      `has no label maps (folders *_label with PNG files): current value is "${options.dataroot}"`,
    );
  }
  const palette = loadPalette(options.palette ?? "cityscapes");
  const model = await loadTrainedModel(options.model, options.which_epoch ?? "latest");
  try {
    const fit = { label_nc: model.label_nc, feat_num: model.feat_num };
    const clustersFile = model.feat_num > 0 ? findClustersFile(options.model) : null;
    const clusters = clustersFile ? await loadClusters(clustersFile, fit) : null;
    const width = options.width || modelWidth(model.config);
    const sceneModel = { ...fit, clusters, classNames: palette.names, width };
    const defaultScene = options.scene
      ? { label: options.scene, inst: options.inst ?? null, name: basename(options.scene) }
      : dataset[0];
    if (!defaultScene) {
      throw new OptionsError(
        "studio",
        "scene",
        "is required when there is no --dataroot to take a scene from",
      );
    }
    await sceneFromFiles(defaultScene, sceneModel);
    const studio = new Studio({
      model,
      modelName: options.model,
      palette,
      sceneModel,
      defaultScene,
      dataset,
      stateDir: options.stateDir,
      maxUploadBytes: Math.round((options.maxUploadMb ?? 16) * 2 ** 20),
    });
    return {
      studio,
      model,
      width,
      defaultScene: defaultScene.name,
      dispose() {
        studio.dispose();
        model.dispose();
      },
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
