/**
 * The samples `encode_features` and `precompute_feature_maps` read: the training set as the model was
 * trained on it (dataset layout and preprocessing from the checkpoint's training config), in sorted
 * order, without flips, one image at a time — the official scripts set `serial_batches`, `no_flip`
 * and `batchSize 1` the same way. A `--label_feat` model's features are pooled per class (its label
 * map stands for the instance map, as in its training).
 *
 * @module
 */
import type { KernelContext, Sample, SourceStage, TransformStage } from "../../kernel/plugin.ts";
import { pipeline } from "../../kernel/pipeline.ts";
import { tf } from "../../backends/tf.ts";
import { chooseDataset } from "../data/dataset_option.ts";
import { datasetOptionsOf } from "../data/dataset_plugin.ts";
import type { DatasetSource } from "../data/source.ts";

/** What to read, beyond the training config. */
export interface EncodeSourceOptions {
  /** The dataset plugin's name (default: the config's; detected from the folder when neither says). */
  dataset?: string | null;
  /** The dataset folder (default: the config's). */
  dataroot?: string | null;
  /** The phase (default "train"). */
  phase?: string;
  /** At most this many images. */
  max_dataset_size?: number | null;
  /** Preprocessing instead of the training config's (e.g. scale_width for a model trained on crops). */
  resize_or_crop?: string | null;
  /** Resize width/size instead of the training config's. */
  loadSize?: number | null;
  /** Crop size instead of the training config's. */
  fineSize?: number | null;
}

/**
 * The dataset source for encoding a checkpoint's training set.
 *
 * @param config the checkpoint's training config (may be empty: official defaults)
 * @param options dataroot, phase, size limit, preprocessing overrides
 * @param ctx the kernel context
 * @returns the source (each `samples()` call is one pass)
 * @throws {OptionsError} when the config holds an invalid dataset option
 * @throws {UsageError} for an unknown dataset name (load a plugin's with `loadPlugins` first)
 * @throws {DataError} when the dataset folder has problems, or holds no known layout
 */
export function encodeSource(
  config: Record<string, unknown>,
  options: EncodeSourceOptions,
  ctx: KernelContext,
): DatasetSource {
  const dataroot = options.dataroot ?? config.dataroot ?? "./datasets/cityscapes/";
  const phase = options.phase ?? "train";
  const stored = typeof config.dataset === "string" ? config.dataset : null;
  const dataset = chooseDataset({ dataset: options.dataset ?? stored, dataroot: String(dataroot), phase });
  const given: Record<string, unknown> = {};
  for (const key of Object.keys(dataset.schema)) if (key in config) given[key] = config[key];
  if ("load_features" in dataset.schema) given.load_features = false;
  Object.assign(given, {
    dataroot,
    phase,
    max_dataset_size: options.max_dataset_size ?? null,
    resize_or_crop: options.resize_or_crop ?? given.resize_or_crop,
    loadSize: options.loadSize ?? given.loadSize,
    fineSize: options.fineSize ?? given.fineSize,
    serial_batches: true,
    no_flip: true,
    batchSize: 1,
  });
  const source = dataset.create(datasetOptionsOf(dataset, given), ctx);
  return config.label_feat === true ? poolByLabel(source) : source;
}

/**
 * Gives the label map as `inst`: a `--label_feat` model's encoder pools its features per class, as the
 * official training does (`inst_map = label_map`), with or without instance maps (ADE20K and Helen
 * have none).
 */
export const labelAsInstance: TransformStage = {
  kind: "transform",
  name: "label-as-instance",
  needs: ["label"],
  gives: ["inst", "instPath"],
  apply(sample: Sample): Sample {
    if (sample.inst instanceof tf.Tensor) sample.inst.dispose();
    return { ...sample, inst: (sample.label as tf.Tensor).clone(), instPath: sample.labelPath };
  },
};

/** Runs a source's samples through `labelAsInstance` (a pipeline over the source itself, so `keep` still applies). */
function poolByLabel(source: DatasetSource): DatasetSource {
  const byLabel = pipeline().use(labelAsInstance);
  const read: SourceStage = { ...source, samples: source.samples.bind(source) };
  source.samples = () => byLabel.stream(read);
  if (!source.gives.includes("inst")) source.gives = [...source.gives, "inst"];
  return source;
}
