/**
 * `--dataset NAME` and `--plugin PATH_OR_URL`, declared once for every recipe that reads a dataset
 * (`train`, `inspect`, `encode_features`, `precompute_feature_maps`, `synth --dataroot`, `demo`), and
 * the one function that turns them into a dataset plugin: the `--plugin` modules are loaded and
 * registered first, then the dataset is the registered one of that name, or the one whose layout
 * `dataroot` holds.
 *
 * @module
 */
import { UsageError } from "../../kernel/cli.ts";
import { DataError } from "../../kernel/errors.ts";
import { closest, defineSchema } from "../../kernel/options.ts";
import { loadPlugin, type Registry, registry } from "../../kernel/registry.ts";
import { type DatasetPlugin, isDatasetPlugin } from "./dataset_plugin.ts";
import { ade20kDataset } from "./datasets/ade20k.ts";
import { alignedDataset } from "./datasets/aligned.ts";
import { cityscapesDataset } from "./datasets/cityscapes.ts";
import { helenDataset } from "./datasets/helen.ts";
import { isDir } from "./match_files.ts";

/** The dataset plugins this project ships, registered when this module loads. */
export const builtinDatasets: readonly DatasetPlugin[] = [
  alignedDataset,
  cityscapesDataset,
  ade20kDataset,
  helenDataset,
] as unknown as DatasetPlugin[];

for (const plugin of builtinDatasets) registry.register(plugin);

/** The recipes' dataset options: which dataset plugin, and plugin modules to load first. */
export const datasetOptionSchema = defineSchema({
  dataset: {
    type: "string",
    default: null,
    doc: `dataset plugin: ${
      builtinDatasets.map((d) => d.name).join(", ")
    } or one a --plugin registers (default: detected from dataroot's layout)`,
  },
  plugin: {
    type: "list",
    default: [],
    doc: "a plugin module (path or URL) to load first, e.g. a dataset plugin of your own",
  },
});

/** What `resolveDataset` reads. */
export interface DatasetChoice {
  /** The dataset's name, or null to detect it from `dataroot`. */
  dataset: string | null;
  /** Plugin modules to load first. */
  plugin?: readonly string[];
  /** The dataset root (detection). */
  dataroot?: string | null;
  /** The phase (detection), default "train". */
  phase?: string;
}

/** The registered dataset plugins, sorted by name. */
export function registeredDatasets(target: Registry = registry): DatasetPlugin[] {
  return target.list("dataset").filter(isDatasetPlugin);
}

/**
 * The registered dataset plugins whose layout `root` holds.
 *
 * @param root the dataset root
 * @param phase the phase
 * @param target the registry
 * @returns the matching datasets (none, one, or several for an ambiguous folder)
 */
export function detectDatasets(root: string, phase: string, target: Registry = registry): DatasetPlugin[] {
  return registeredDatasets(target).filter((d) => d.dataset.detect(root, phase));
}

/**
 * The registered dataset plugin of that name.
 *
 * @param name its name
 * @param target the registry
 * @returns the plugin
 * @throws {UsageError} naming it, the closest name and every registered dataset (exit 2 in a command)
 */
export function datasetByName(name: string, target: Registry = registry): DatasetPlugin {
  const all = registeredDatasets(target);
  const found = all.find((d) => d.name === name);
  if (found) return found;
  const names = all.map((d) => d.name);
  const hint = closest(name, names);
  const notDataset = target.has(name) ? ` ("${name}" is a ${target.get(name).role} plugin)` : "";
  throw new UsageError(
    `unknown dataset "${name}"${notDataset}${
      hint ? ` (did you mean "${hint}"?)` : ""
    }; registered datasets: ${names.join(", ")} (load your own with --plugin PATH_OR_URL)`,
  );
}

/**
 * Loads plugin modules (`--plugin`) and registers their plugins.
 *
 * @param specifiers paths (relative to the working directory) or URLs
 * @param target the registry
 * @throws {PipelineError} when a module cannot be imported or exports no plugin
 */
export async function loadPlugins(specifiers: readonly string[], target: Registry = registry): Promise<void> {
  for (const specifier of specifiers) await loadPlugin(specifier, target);
}

/**
 * Loads the `--plugin` modules and checks `--dataset` at the start of a recipe, before anything slow
 * (a model) is opened.
 *
 * @param choice dataset name (or null) and plugin modules
 * @param target the registry
 * @returns the named dataset, or null when none is named
 * @throws {UsageError} for an unknown name; {PipelineError} when a plugin module cannot be loaded
 */
export async function loadDatasetOption(
  choice: DatasetChoice,
  target: Registry = registry,
): Promise<DatasetPlugin | null> {
  await loadPlugins(choice.plugin ?? [], target);
  return choice.dataset ? datasetByName(choice.dataset, target) : null;
}

/**
 * The dataset plugin a recipe reads: `--plugin` modules are loaded first; then the dataset of that
 * name, or, without a name, the one whose layout `dataroot` holds.
 *
 * @param choice dataset name (or null), plugin modules, dataroot and phase
 * @param target the registry
 * @returns the dataset plugin
 * @throws {UsageError} for an unknown name (one line with the registered ones)
 * @throws {DataError} when no name is given and dataroot holds no known layout, or several
 * @throws {PipelineError} when a plugin module cannot be loaded
 */
export async function resolveDataset(
  choice: DatasetChoice,
  target: Registry = registry,
): Promise<DatasetPlugin> {
  await loadPlugins(choice.plugin ?? [], target);
  return chooseDataset(choice, target);
}

/**
 * The registered dataset of that name, or, without a name, the one whose layout `dataroot` holds
 * (`resolveDataset` once the plugin modules are loaded).
 *
 * @param choice dataset name (or null), dataroot and phase
 * @param target the registry
 * @returns the dataset plugin
 * @throws {UsageError} for an unknown name; {DataError} when dataroot holds no known layout, or several
 */
export function chooseDataset(choice: DatasetChoice, target: Registry = registry): DatasetPlugin {
  if (choice.dataset) return datasetByName(choice.dataset, target);
  const root = choice.dataroot ?? ".", phase = choice.phase ?? "train";
  const found = detectDatasets(root, phase, target);
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    throw new DataError(
      root,
      `holds the layouts of several datasets (${found.map((d) => d.name).join(", ")}): pass --dataset NAME`,
    );
  }
  throw new DataError(root, notALayoutMessage(root, phase, target));
}

/**
 * Why a folder is no dataset: it does not exist, or which layouts were looked for.
 *
 * @param root the folder
 * @param phase the phase the layouts were looked for with
 * @param target the registry
 * @returns the message (after the folder's name)
 */
export function notALayoutMessage(root: string, phase: string, target: Registry = registry): string {
  if (!isDir(root)) return "does not exist";
  const layouts = registeredDatasets(target).map((d) =>
    `${d.dataset.layout.replaceAll("{phase}", phase)} (${d.name})`
  );
  return `is not a known dataset layout: expected ${layouts.join("; or ")}; or pass --dataset NAME`;
}

/**
 * What a dataset implies for options the user did not give: its label_nc, and no_instance when it
 * has no instance maps.
 *
 * @param plugin the dataset
 * @param given the options the user gave
 * @returns the implied options (only those not in `given`)
 */
export function impliedOptions(
  plugin: DatasetPlugin,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (given.label_nc === undefined && plugin.dataset.label_nc !== null) {
    out.label_nc = plugin.dataset.label_nc;
  }
  if (given.no_instance === undefined && !plugin.dataset.instances) out.no_instance = true;
  return out;
}
