/**
 * What a dataset plugin is: the one place a dataset format is known. Beside the `Plugin` fields
 * (name, options, `create`), a dataset plugin states what recipes (`train`, `inspect`,
 * `encode_features`, `synth --dataroot`, …) need to know of its format: how to recognise its layout,
 * how to index a root into samples (label, instance, photo, features files), its classes (label_nc,
 * palette and class names), whether it has instance maps and photos, and whether its label maps are
 * colour-coded. `defineDataset` fills in `role`, `provides` and a `create` that streams the indexed
 * samples, so a new format is one file of a few dozen lines (plugins/examples/paired_folder.ts).
 *
 * @module
 */
import { type OptionsOf, resolveOptions, type Schema } from "../../kernel/options.ts";
import type { Facts, Plugin } from "../../kernel/plugin.ts";
import { readOptionsOf, requireRoot, sourceOptionsOf } from "./datasets/common.ts";
import type { Palette } from "./palette.ts";
import type { ReadOptions } from "./sample_reader.ts";
import { createSource, type DatasetIndex, type datasetSchema, type DatasetSource } from "./source.ts";

/** The options every dataset schema has (`datasetSchema`), resolved. */
export type BaseDatasetOptions = OptionsOf<typeof datasetSchema>;

/** What a dataset plugin knows of its format. */
export interface DatasetFacts<O extends BaseDatasetOptions = BaseDatasetOptions> {
  /** Its layout in one line, for "not a known layout" errors (e.g. "gtFine/ and leftImg8bit/"). */
  layout: string;
  /** Whether `root` holds this layout (for `phase`); recipes detect the dataset with it. */
  detect(root: string, phase: string): boolean;
  /** The samples under `opts.dataroot`: their files, the folders read, and every problem found. */
  index(opts: O): DatasetIndex;
  /** Its number of classes, used when the user does not give `--label_nc`; null: the user says. */
  label_nc: number | null;
  /** Its class names and colours (display), or null (a generic colour map is used). */
  palette: Palette | null;
  /** Whether its samples can have instance maps (without them `no_instance` is implied). */
  instances: boolean;
  /** Whether its samples have photos (training needs them). */
  photos: boolean;
  /** Whether it reads precomputed feature maps (`--load_features`). */
  features: boolean;
  /** The palette its colour-coded label maps are read through, or null for id maps. */
  labelColors?(opts: O): Palette | null;
}

/** A dataset plugin: a `Plugin` whose `create` builds a `DatasetSource`, and its format's facts. */
export interface DatasetPlugin<S extends Schema = Schema> extends Plugin<S, DatasetSource> {
  role: "dataset";
  /** What recipes need to know of the format. */
  dataset: DatasetFacts<OptionsOf<S> & BaseDatasetOptions>;
}

/** What `defineDataset` takes: `role`, `provides` and `create` may be left out. */
export type DatasetInput<S extends Schema> =
  & Omit<DatasetPlugin<S>, "role" | "provides" | "create">
  & Partial<Pick<DatasetPlugin<S>, "provides" | "create">>;

/**
 * Declares a dataset plugin. Without a `create`, its source streams the samples `dataset.index`
 * finds, read as `dataset.labelColors` says, in the order and with the preprocessing of its options.
 *
 * @param def name, description, schema (spread `datasetSchema` into it) and the format's facts
 * @returns the plugin, ready for `registry.register` or a module's default export
 */
export function defineDataset<S extends Schema>(def: DatasetInput<S>): DatasetPlugin<S> {
  const plugin: DatasetPlugin<S> = {
    provides: ["dataset"],
    ...def,
    role: "dataset",
    create: def.create ??
      ((opts: OptionsOf<S>) => datasetSource(plugin, opts as OptionsOf<S> & BaseDatasetOptions)),
  };
  return plugin;
}

/**
 * Whether a registered plugin is a dataset plugin with its facts (`defineDataset`).
 *
 * @param plugin any plugin
 * @returns true for a dataset plugin recipes can use
 */
export function isDatasetPlugin(plugin: Plugin): plugin is DatasetPlugin {
  const facts = (plugin as Partial<DatasetPlugin>).dataset;
  return plugin.role === "dataset" && typeof facts?.index === "function" &&
    typeof facts.detect === "function";
}

/**
 * A dataset's own options out of a recipe's (train's, encode's, …): the keys its schema has, others
 * left out; a null where the schema wants a value takes the default.
 *
 * @param plugin the dataset
 * @param given the recipe's options
 * @returns its resolved options
 * @throws {OptionsError} naming the dataset and the bad option
 */
export function datasetOptionsOf<S extends Schema>(
  plugin: DatasetPlugin<S>,
  given: Record<string, unknown>,
): OptionsOf<S> & BaseDatasetOptions {
  const picked: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(plugin.schema)) {
    const value = given[key];
    if (value === undefined || (value === null && spec.default !== null)) continue;
    picked[key] = value;
  }
  return resolveOptions(plugin.name, plugin.schema, picked) as OptionsOf<S> & BaseDatasetOptions;
}

/**
 * How a dataset's files are read (classes, preprocessing, the palette of colour-coded label maps).
 *
 * @param plugin the dataset
 * @param opts its resolved options
 * @returns the read options
 */
export function readOptionsFor<S extends Schema>(
  plugin: DatasetPlugin<S>,
  opts: OptionsOf<S> & BaseDatasetOptions,
): ReadOptions {
  return readOptionsOf(opts, plugin.dataset.labelColors?.(opts) ?? null);
}

/**
 * The source stage of a dataset: its indexed samples, streamed in its options' order.
 *
 * @param plugin the dataset
 * @param opts its resolved options (dataroot required)
 * @returns the source; each `samples()` call is one epoch
 * @throws {OptionsError} without dataroot; {DataError} naming the first problem of the index
 */
export function datasetSource<S extends Schema>(
  plugin: DatasetPlugin<S>,
  opts: OptionsOf<S> & BaseDatasetOptions,
): DatasetSource {
  const root = requireRoot(plugin.name, opts.dataroot);
  const source = createSource(
    plugin.name,
    root,
    plugin.dataset.index(opts),
    readOptionsFor(plugin, opts),
    sourceOptionsOf(opts),
    opts.seed,
  );
  source.facts = factsOf(plugin, opts);
  return source;
}

/**
 * What a dataset's samples imply for the stages after its source: its `label_nc` and `no_instance`
 * (as resolved: the user's or the dataset's), its display `palette` and the `labelColors` its
 * colour-coded label maps are read through.
 *
 * @param plugin the dataset
 * @param opts its resolved options
 * @returns the facts a pipeline hands downstream
 */
export function factsOf<S extends Schema>(
  plugin: DatasetPlugin<S>,
  opts: OptionsOf<S> & BaseDatasetOptions,
): Facts {
  return {
    label_nc: opts.label_nc,
    no_instance: opts.no_instance || !plugin.dataset.instances,
    palette: plugin.dataset.palette,
    labelColors: plugin.dataset.labelColors?.(opts) ?? null,
  };
}
