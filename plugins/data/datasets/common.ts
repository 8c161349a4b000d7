/**
 * Helpers shared by the dataset plugins: turning resolved options into read and order options.
 *
 * @module
 */
import { OptionsError } from "../../../kernel/errors.ts";
import type { OptionsOf } from "../../../kernel/options.ts";
import type { Palette } from "../palette.ts";
import { type PreprocessOptions, preprocessSchema } from "../preprocess.ts";
import type { ReadOptions } from "../sample_reader.ts";
import type { datasetSchema, SourceOptions } from "../source.ts";

type DatasetOptions = OptionsOf<typeof datasetSchema>;

/**
 * The dataset root, which must be given.
 *
 * @param plugin the plugin, named in errors
 * @param dataroot the option's value
 * @returns the root
 * @throws {OptionsError} when it is missing
 */
export function requireRoot(plugin: string, dataroot: string | null): string {
  if (!dataroot) {
    throw new OptionsError(plugin, "dataroot", "is required: the dataset's folder: current value is null");
  }
  return dataroot;
}

/**
 * The preprocessing options among a dataset's options.
 *
 * @param opts resolved dataset options
 * @returns only the preprocessing keys
 */
export function preprocessOf(opts: PreprocessOptions): PreprocessOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(preprocessSchema)) out[key] = (opts as Record<string, unknown>)[key];
  return out as PreprocessOptions;
}

/**
 * How a dataset reads its files.
 *
 * @param opts resolved dataset options
 * @param palette colours of colour-coded label maps, if any
 * @param checkInstIds whether to reject 8-bit instance maps that lost their ids
 * @returns read options
 */
export function readOptionsOf(
  opts: DatasetOptions & { check_inst_ids?: boolean },
  palette: Palette | null,
): ReadOptions {
  return {
    label_nc: opts.label_nc,
    preprocess: preprocessOf(opts),
    palette,
    check_inst_ids: opts.check_inst_ids ?? true,
  };
}

/**
 * How a dataset orders and prefetches samples.
 *
 * @param opts resolved dataset options
 * @returns source options
 */
export function sourceOptionsOf(opts: DatasetOptions): SourceOptions {
  return {
    serial_batches: opts.serial_batches,
    max_dataset_size: opts.max_dataset_size,
    batchSize: opts.batchSize,
    prefetch: opts.prefetch,
  };
}
