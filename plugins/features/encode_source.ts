/**
 * The samples `encode_features` and `precompute_feature_maps` read: the training set as the model was
 * trained on it (dataset layout and preprocessing from the checkpoint's training config), in sorted
 * order, without flips, one image at a time — the official scripts set `serial_batches`, `no_flip`
 * and `batchSize 1` the same way.
 *
 * @module
 */
import { resolveOptions } from "../../kernel/options.ts";
import type { KernelContext } from "../../kernel/plugin.ts";
import { alignedDataset, alignedSchema } from "../data/datasets/aligned.ts";
import { cityscapesDataset, cityscapesSchema } from "../data/datasets/cityscapes.ts";
import type { DatasetSource } from "../data/source.ts";

/** What to read, beyond the training config. */
export interface EncodeSourceOptions {
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
 * @throws {DataError} when the dataset folder has problems
 */
export function encodeSource(
  config: Record<string, unknown>,
  options: EncodeSourceOptions,
  ctx: KernelContext,
): DatasetSource {
  const cityscapes = config.dataset === "cityscapes";
  const schema = cityscapes ? cityscapesSchema : alignedSchema;
  const given: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) if (key in config) given[key] = config[key];
  if (!cityscapes) given.load_features = false;
  Object.assign(given, {
    dataroot: options.dataroot ?? config.dataroot ?? "./datasets/cityscapes/",
    phase: options.phase ?? "train",
    max_dataset_size: options.max_dataset_size ?? null,
    resize_or_crop: options.resize_or_crop ?? given.resize_or_crop,
    loadSize: options.loadSize ?? given.loadSize,
    fineSize: options.fineSize ?? given.fineSize,
    serial_batches: true,
    no_flip: true,
    batchSize: 1,
  });
  return cityscapes
    ? cityscapesDataset.create(resolveOptions("encode_features", cityscapesSchema, given), ctx)
    : alignedDataset.create(resolveOptions("encode_features", alignedSchema, given), ctx);
}
