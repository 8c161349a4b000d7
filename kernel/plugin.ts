/**
 * What a plugin is. A plugin is a typed object: a name, the role it plays, what it provides, its
 * option schema with defaults, and a `create` that turns resolved options into the thing it provides
 * (a pipeline stage, a network, a loss). What a stage holds it releases in its own `close`.
 *
 * Third-party plugins are ES modules whose default export (or named `plugin` export) is a `Plugin`;
 * they load from a local path or URL with `loadPlugin` (kernel/registry.ts) exactly like ours.
 *
 * @module
 */
import type { OptionsOf, Schema } from "./options.ts";
import type { Logger } from "./log.ts";

/** A sample flowing through a pipeline: named fields (tensors, paths, metadata). */
export type Sample = Record<string, unknown>;

/**
 * What a source's data implies for the stages after it: option values (`label_nc`, `no_instance`, …)
 * and display facts (`palette`, `labelColors`). A pipeline passes each value to every stage plugin
 * whose schema declares an option of that name that its caller did not give, so a dataset's label_nc
 * is stated once, by the dataset.
 */
export type Facts = Readonly<Record<string, unknown>>;

/** What the kernel hands to plugins and stages. */
export interface KernelContext {
  /** The tfjs backend in use ("wasm", "cpu", "webgpu", "tensorflow"). */
  backend: string;
  /** Where messages go. */
  log: Logger;
  /** What the pipeline's data implies (its source's facts and the pipeline's own), when known. */
  facts?: Facts;
}

/** A source of samples (a dataset). Streams: never loads the whole dataset at once. */
export interface SourceStage {
  kind: "source";
  /** Stage name, for errors and progress. */
  name: string;
  /** Fields every sample has. */
  gives: readonly string[];
  /** Number of samples per epoch, when known. */
  size?: number;
  /** What its data implies for the stages downstream (a dataset's label_nc, palette, …). */
  facts?: Facts;
  /** The samples of one pass (epoch) over the data. */
  samples(ctx: KernelContext): AsyncIterable<Sample>;
}

/** A per-sample transform (resize, one-hot, boundaries, …). */
export interface TransformStage {
  kind: "transform";
  name: string;
  /** Fields the sample must have. A missing one is a clear `PipelineError`. */
  needs: readonly string[];
  /** Fields it adds or replaces. */
  gives: readonly string[];
  /** Maps one sample to the next; it owns (and must dispose) tensors it replaces. */
  apply(sample: Sample, ctx: KernelContext): Sample | Promise<Sample>;
  /** Releases what the stage holds (networks, files) when the pipeline ends, even on error. */
  close?(): void | Promise<void>;
}

/** The end of a pipeline (a trainer, a synthesizer, a writer). */
export interface SinkStage<R = unknown> {
  kind: "sink";
  name: string;
  needs: readonly string[];
  /** Consumes one sample (or batch); owns its tensors. */
  consume(sample: Sample, ctx: KernelContext): void | Promise<void>;
  /** Called once after the last sample; its value is what `run()` returns. */
  finish?(ctx: KernelContext): R | Promise<R>;
  /** Releases what the stage holds when the pipeline ends, even on error. */
  close?(): void | Promise<void>;
}

/** Any pipeline stage. */
export type Stage = SourceStage | TransformStage | SinkStage;

/** A plugin: a named, typed factory registered with the kernel. */
export interface Plugin<S extends Schema = Schema, T = unknown> {
  /** Unique name, kebab-case (e.g. "global-generator", "cityscapes"). */
  name: string;
  /**
   * Its role: "dataset", "transform", "generator", "discriminator", "encoder", "loss", "sink", … A
   * "dataset" plugin also states its format's facts for the recipes (`defineDataset`,
   * plugins/data/dataset_plugin.ts).
   */
  role: string;
  /** One line on what it does, for `--help`, `doctor` and the REPL banner. */
  description: string;
  /** Names of what it provides (capabilities a pipeline can ask for). */
  provides: readonly string[];
  /** Its options with defaults. */
  schema: S;
  /** Builds the thing it provides from resolved options. */
  create(options: OptionsOf<S>, ctx: KernelContext): T;
}

/**
 * The registered plugins by name, for typed options at call sites: `pipeline().use("one-hot", { label_nc: 35 })`
 * checks the option names and types at compile time for every plugin listed here. Ours are listed by
 * plugins/mod.ts; a plugin of your own joins with
 * `declare module "<path>/kernel/plugin.ts" { interface PluginsByName { "my-plugin": typeof myPlugin } }`
 * (or pass the plugin object itself to `use`, which types its options from its schema).
 */
// deno-lint-ignore no-empty-interface
export interface PluginsByName {}

/** The options a call site may give the plugin named `N` (any record for a plugin not in `PluginsByName`). */
export type PluginOptions<N extends string> = N extends keyof PluginsByName
  ? PluginsByName[N] extends Plugin<infer S, unknown> ? Partial<OptionsOf<S>> : Record<string, unknown>
  : Record<string, unknown>;

/**
 * Declares a plugin, keeping its option types.
 *
 * @example
 * ```ts
 * export const flip = definePlugin({
 *   name: "flip", role: "transform", description: "mirror images", provides: ["flip"],
 *   schema: defineSchema({ p: { type: "number", default: 0.5, min: 0, max: 1, doc: "probability" } }),
 *   create: (o) => ({ kind: "transform", name: "flip", needs: ["image"], gives: ["image"], apply: (s) => s }),
 * });
 * ```
 */
export function definePlugin<S extends Schema, T>(plugin: Plugin<S, T>): Plugin<S, T> {
  return plugin;
}
