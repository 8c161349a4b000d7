/**
 * The pipeline DSL: a value configured once — transforms in order, optionally a source and a sink —
 * then run over any source, streamed, or applied to one sample, as many times as needed (as unified's
 * processor is).
 *
 * ```ts
 * const encode = pipeline().use("boundaries").use("one-hot").use("generator-input"); // configured once
 * const sample = await encode.process({ label, inst });               // one sample
 * for await (const s of encode.stream(mySource)) train(s);            // any source
 * const report = await pipeline()
 *   .from("cityscapes", { dataroot: "datasets/cityscapes", phase: "test" })
 *   .use(encode)                                                       // pipelines compose
 *   .to("write-images", { dir: "results" })
 *   .run();
 * ```
 *
 * Stages are given as objects (kernel/plugin.ts), as plugin objects with options, or as registered
 * plugin names with options; options are typed at the call site (`PluginsByName`). Named and plugin
 * stages are built on the pipeline's first use, each taking what the data implies (`Facts`: the
 * source's, then the pipeline's own) for every option of its schema the call did not give — so a
 * dataset's `label_nc` reaches one-hot, the input assembly and the writer without being repeated.
 * Before anything runs, the pipeline checks that every stage's inputs are produced upstream. Data
 * streams one sample (or batch) at a time, with optional async prefetch.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { PipelineError } from "./errors.ts";
import type {
  Facts,
  KernelContext,
  Plugin,
  PluginOptions,
  PluginsByName,
  Sample,
  SinkStage,
  SourceStage,
  Stage,
  TransformStage,
} from "./plugin.ts";
import { type OptionsOf, resolveOptions, type Schema } from "./options.ts";
import { type Registry, registry as defaultRegistry } from "./registry.ts";
import { log as defaultLog, type Logger } from "./log.ts";
import { selectBackend } from "../backends/select.ts";
import { disposeAll } from "./memory.ts";

/** Options of a pipeline. */
export interface PipelineOptions {
  /** Backend to select before running ("auto", "wasm", …); leave unset to keep the current one. */
  backend?: string;
  /** Where messages go. */
  log?: Logger;
  /** Where plugin names are looked up. */
  registry?: Registry;
  /** What the data implies, beside (and over) the source's facts: `{ label_nc: 150, palette }`. */
  facts?: Facts;
}

/** What the sink plugin named `N` returns from `run()` (unknown for a plugin not in `PluginsByName`). */
export type SinkResult<N extends string> = N extends keyof PluginsByName
  ? PluginsByName[N] extends Plugin<Schema, SinkStage<infer R>> ? R : unknown
  : unknown;

/** What a pipeline runs over: a source stage, or samples as they come (`process` checks each one). */
export type SampleSource = SourceStage | Iterable<Sample> | AsyncIterable<Sample>;

/** A stage to build on first use: a ready stage, or a plugin (by name or object) with options. */
interface StageRef<K extends Stage["kind"]> {
  kind: K;
  stage?: Extract<Stage, { kind: K }>;
  plugin?: Plugin | string;
  options: Record<string, unknown>;
}

type Step =
  | { kind: "transform"; ref: StageRef<"transform"> }
  | { kind: "batch" | "prefetch" | "take"; n: number };

interface Built {
  transforms: Map<StageRef<"transform">, TransformStage>;
  sink?: SinkStage;
  /** The fact values stages took, to refuse a later source that implies others. */
  used: Record<string, unknown>;
}

/**
 * Starts a pipeline.
 *
 * @example
 * ```ts
 * for await (const sample of pipeline().from(myDataset).use(myTransform).stream()) console.log(sample.name);
 * ```
 */
export function pipeline(options: PipelineOptions = {}): Pipeline {
  return new Pipeline(options);
}

/** A pipeline: configure it with `from`/`use`/`batch`/…, then `process`, `stream` or `to(…).run()` it. */
export class Pipeline {
  #options: PipelineOptions;
  #source?: StageRef<"source">;
  #steps: Step[] = [];
  #sink?: StageRef<"sink">;
  #built?: Built;
  #open = false;
  #runs = 0;
  #ctx: KernelContext;

  /** @param options see `PipelineOptions` */
  constructor(options: PipelineOptions = {}) {
    this.#options = options;
    this.#ctx = { backend: tf.getBackend() ?? "none", log: options.log ?? defaultLog };
  }

  get #registry(): Registry {
    return this.#options.registry ?? defaultRegistry;
  }

  #check(verb: string): void {
    if (this.#built) {
      throw new PipelineError(
        `Cannot call \`${verb}\` on a pipeline that has run (its stages are built): configure a pipeline fully, ` +
          "then use it; start another with pipeline() for a different one",
      );
    }
  }

  /**
   * Sets the default source: a source stage, a dataset plugin, or a registered dataset's name, with
   * options. The source is built now (its facts are known before the stages after it are built).
   */
  from<N extends string>(source: N, options?: PluginOptions<N>): this;
  from<S extends Schema>(source: Plugin<S, SourceStage>, options?: Partial<OptionsOf<S>>): this;
  from(source: SourceStage): this;
  from(source: SourceStage | Plugin | string, options: Record<string, unknown> = {}): this {
    this.#check("from");
    if (this.#source) {
      throw new PipelineError(`A pipeline has one source; it already reads from "${labelOf(this.#source)}"`);
    }
    const ref = stageRef("source", source, options, this.#registry);
    if (!ref.stage) {
      const { stage, plugin } = this.#create(ref, this.#options.facts ?? {});
      ref.stage = stage;
      ref.plugin = plugin;
    }
    this.#source = ref;
    return this;
  }

  /**
   * Adds a transform: a transform stage, a plugin (object or registered name) with options, or all the
   * steps of another pipeline (which must have no source).
   */
  use<N extends string>(transform: N, options?: PluginOptions<N>): this;
  use<S extends Schema>(transform: Plugin<S, TransformStage>, options?: Partial<OptionsOf<S>>): this;
  use(transform: TransformStage | Pipeline): this;
  use(transform: TransformStage | Pipeline | Plugin | string, options: Record<string, unknown> = {}): this {
    this.#check("use");
    if (transform instanceof Pipeline) {
      if (transform.#source) {
        throw new PipelineError(
          `use(pipeline) appends another pipeline's steps; that one reads from "${
            labelOf(transform.#source)
          }": leave its source out`,
        );
      }
      this.#steps.push(...transform.#steps);
      return this;
    }
    this.#steps.push({ kind: "transform", ref: stageRef("transform", transform, options, this.#registry) });
    return this;
  }

  /** Groups `size` samples into one: tensors are concatenated on the batch axis, other fields become arrays. */
  batch(size: number): this {
    return this.#count("batch", size, 1);
  }

  /** Prepares up to `depth` samples ahead while downstream stages work. */
  prefetch(depth = 2): this {
    return this.#count("prefetch", depth, 1);
  }

  /** Stops after `count` samples (or batches, after `batch`). */
  take(count: number): this {
    return this.#count("take", count, 0);
  }

  #count(kind: "batch" | "prefetch" | "take", n: number, min: number): this {
    this.#check(kind);
    if (!Number.isInteger(n) || n < min) {
      const arg = { batch: "size", prefetch: "depth", take: "count" }[kind];
      throw new PipelineError(`${kind}(${arg}) needs an integer ≥ ${min}: current value is ${n}`);
    }
    this.#steps.push({ kind, n });
    return this;
  }

  /** Sets the sink; `run()` then drives the pipeline (over its source or one given to `run`). */
  to<R>(sink: SinkStage<R>): RunnablePipeline<R>;
  to<N extends string>(sink: N, options?: PluginOptions<N>): RunnablePipeline<SinkResult<N>>;
  to<S extends Schema, R>(
    sink: Plugin<S, SinkStage<R>>,
    options?: Partial<OptionsOf<S>>,
  ): RunnablePipeline<R>;
  to(sink: SinkStage | Plugin | string, options: Record<string, unknown> = {}): RunnablePipeline<unknown> {
    this.#check("to");
    this.#sink = stageRef("sink", sink, options, this.#registry);
    if (this.#source?.stage) this.#build(this.#source.stage);
    return new RunnablePipeline((source) => this.#run(source));
  }

  /**
   * Runs one sample through the transforms (batch, prefetch and take do not apply to one sample). The
   * stages stay built and open for the next call; `close()` releases them.
   *
   * @param sample the sample (the pipeline owns its tensors: replaced ones are disposed)
   * @returns the transformed sample; the caller owns its tensors
   * @throws {PipelineError} when a stage needs a field the sample lacks
   */
  async process(sample: Sample): Promise<Sample> {
    const built = this.#build(undefined);
    if (!this.#open) {
      await this.#start();
      this.#open = true;
    }
    let s = sample;
    for (const step of this.#steps) {
      if (step.kind === "transform") s = await applyStage(built.transforms.get(step.ref)!, s, this.#ctx);
    }
    return s;
  }

  /** Releases what the stages hold (networks, workers) after `process` calls; the pipeline stays usable. */
  async close(): Promise<void> {
    if (!this.#built || !this.#open) return;
    this.#open = false;
    await this.#stop(this.#built);
  }

  /**
   * Yields the samples of one pass (for notebooks and custom loops); the caller owns their tensors.
   *
   * @param source what to run over (default: the pipeline's own source)
   */
  async *stream(source?: SampleSource): AsyncGenerator<Sample> {
    const from = this.#sourceOf(source);
    const built = this.#build(from);
    await this.#start();
    try {
      yield* this.#samples(from, built);
    } finally {
      await this.#stop(built);
    }
  }

  #sourceOf(source: SampleSource | undefined): SourceStage | Iterable<Sample> | AsyncIterable<Sample> {
    const from = source ?? this.#source?.stage;
    if (!from) {
      throw new PipelineError(
        'The pipeline has no source: call .from(dataset) first (e.g. .from("aligned", { dataroot })) or pass one to run()/stream()',
      );
    }
    return from;
  }

  #create<K extends Stage["kind"]>(
    ref: StageRef<K>,
    facts: Facts,
  ): { stage: Extract<Stage, { kind: K }>; plugin: Plugin } {
    const plugin = typeof ref.plugin === "string" ? this.#registry.get(ref.plugin) : ref.plugin!;
    const given: Record<string, unknown> = { ...ref.options };
    for (const key of Object.keys(plugin.schema)) {
      if (given[key] === undefined && facts[key] !== undefined) given[key] = facts[key];
    }
    const ctx = { ...this.#ctx, facts };
    const built = plugin.create(resolveOptions(plugin.name, plugin.schema, given), ctx) as Stage;
    if (!built || built.kind !== ref.kind) {
      throw new PipelineError(
        `Plugin "${plugin.name}" (${plugin.role}) does not provide a ${ref.kind} stage`,
      );
    }
    return { stage: built as Extract<Stage, { kind: K }>, plugin };
  }

  /** Builds the stages on first use, with the facts of the data; checks the fields each one needs. */
  #build(source: SourceStage | Iterable<Sample> | AsyncIterable<Sample> | undefined): Built {
    const sourceFacts = source && isSourceStage(source) ? source.facts ?? {} : {};
    const facts: Facts = { ...sourceFacts, ...this.#options.facts };
    if (this.#built) {
      for (const [key, value] of Object.entries(this.#built.used)) {
        if (key in facts && !sameValue(facts[key], value)) {
          throw new PipelineError(
            `This pipeline's stages were built for ${key} = ${
              show(value)
            }, but this source implies ${key} = ${
              show(facts[key])
            }: build another pipeline for it, or give ${key} to the stages explicitly`,
          );
        }
      }
      if (source && isSourceStage(source)) this.#validate(source);
      return this.#built;
    }
    const used: Record<string, unknown> = {};
    const make = <K extends Stage["kind"]>(ref: StageRef<K>) => {
      if (ref.stage) return ref.stage;
      const { stage, plugin } = this.#create(ref, facts);
      for (const key of Object.keys(plugin.schema)) {
        if (ref.options[key] === undefined && facts[key] !== undefined) used[key] = facts[key];
      }
      return stage;
    };
    const transforms = new Map<StageRef<"transform">, TransformStage>();
    for (const step of this.#steps) if (step.kind === "transform") transforms.set(step.ref, make(step.ref));
    const sink = this.#sink ? make(this.#sink) : undefined;
    this.#ctx.facts = facts;
    this.#built = { transforms, sink, used };
    if (source && isSourceStage(source)) this.#validate(source);
    return this.#built;
  }

  /** Field names available after each stage, checked before running. */
  #validate(source: SourceStage): void {
    const built = this.#built!;
    const have = new Set(source.gives);
    const missing = (stage: { name: string; needs: readonly string[] }, what: string) => {
      for (const need of stage.needs) {
        if (!have.has(need)) {
          throw new PipelineError(
            `${what} "${stage.name}" needs "${need}", but the samples only have: ${
              [...have].join(", ")
            }. Add a stage that gives "${need}" before it.`,
          );
        }
      }
    };
    for (const step of this.#steps) {
      if (step.kind !== "transform") continue;
      const stage = built.transforms.get(step.ref)!;
      missing(stage, "Stage");
      for (const g of stage.gives) have.add(g);
    }
    if (built.sink) missing(built.sink, "Sink");
  }

  async #start(): Promise<void> {
    if (this.#options.backend) this.#ctx.backend = (await selectBackend(this.#options.backend)).name;
    else this.#ctx.backend = tf.getBackend() ?? "none";
  }

  async #stop(built: Built): Promise<void> {
    for (const stage of built.transforms.values()) await stage.close?.();
    await built.sink?.close?.();
  }

  #samples(
    from: SourceStage | Iterable<Sample> | AsyncIterable<Sample>,
    built: Built,
  ): AsyncIterable<Sample> {
    let it: AsyncIterable<Sample> = isSourceStage(from) ? from.samples(this.#ctx) : toAsync(from);
    for (const step of this.#steps) {
      if (step.kind === "transform") it = mapStage(it, built.transforms.get(step.ref)!, this.#ctx);
      else if (step.kind === "batch") it = batchSamples(it, step.n);
      else if (step.kind === "prefetch") it = prefetchSamples(it, step.n);
      else it = takeSamples(it, step.n);
    }
    return it;
  }

  async #run(source: SampleSource | undefined): Promise<unknown> {
    const from = this.#sourceOf(source);
    const built = this.#build(from);
    // a sink plugin's result belongs to one run: later runs get a fresh sink
    if (this.#runs++ > 0 && !this.#sink!.stage) {
      built.sink = this.#create(this.#sink!, this.#ctx.facts ?? {}).stage;
    }
    await this.#start();
    try {
      for await (const sample of this.#samples(from, built)) await built.sink!.consume(sample, this.#ctx);
      return await built.sink!.finish?.(this.#ctx);
    } finally {
      await this.#stop(built);
    }
  }
}

/** A pipeline with a sink: `run()` drives it to the end and returns the sink's result. */
export class RunnablePipeline<R> {
  #run: (source?: SampleSource) => Promise<unknown>;
  /** @param run the driver */
  constructor(run: (source?: SampleSource) => Promise<unknown>) {
    this.#run = run;
  }
  /**
   * Runs the pipeline once; may be called again (over the same or another source).
   *
   * @param source what to run over (default: the pipeline's own source)
   * @returns what the sink's `finish` returns
   */
  run(source?: SampleSource): Promise<R> {
    return this.#run(source) as Promise<R>;
  }
}

/** A stage reference; a plugin's name and the options given are checked now, the stage built on first use. */
function stageRef<K extends Stage["kind"]>(
  kind: K,
  stage: Stage | Plugin | string,
  options: Record<string, unknown>,
  registry: Registry,
): StageRef<K> {
  if (typeof stage === "string" || (stage && "create" in stage && "schema" in stage)) {
    const plugin = typeof stage === "string" ? registry.get(stage) : stage;
    resolveOptions(plugin.name, plugin.schema, options);
    return { kind, plugin, options };
  }
  if (!stage || (stage as Stage).kind !== kind) {
    const s = stage as Stage | undefined;
    throw new PipelineError(`Expected a ${kind} stage, got ${s ? `a ${s.kind} stage "${s.name}"` : s}`);
  }
  return { kind, stage: stage as Extract<Stage, { kind: K }>, options };
}

function labelOf<K extends Stage["kind"]>(ref: StageRef<K>): string {
  return ref.stage?.name ?? (typeof ref.plugin === "string" ? ref.plugin : ref.plugin?.name ?? "?");
}

function isSourceStage(value: unknown): value is SourceStage {
  return typeof value === "object" && value !== null && (value as SourceStage).kind === "source" &&
    typeof (value as SourceStage).samples === "function";
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text && text.length <= 40 ? text : typeof value === "object" ? "an object" : String(value);
}

async function* toAsync(samples: Iterable<Sample> | AsyncIterable<Sample>): AsyncGenerator<Sample> {
  yield* samples;
}

async function applyStage(stage: TransformStage, sample: Sample, ctx: KernelContext): Promise<Sample> {
  for (const need of stage.needs) {
    if (!(need in sample) || sample[need] === undefined) {
      throw new PipelineError(
        `Stage "${stage.name}" needs "${need}", but the sample only has: ${
          Object.keys(sample).filter((k) => sample[k] !== undefined).join(", ")
        }. Add a stage that gives "${need}" before it.`,
      );
    }
  }
  try {
    return await stage.apply(sample, ctx);
  } catch (error) {
    disposeAll(sample); // the pipeline owns the sample: a failed stage does not leak it
    throw error;
  }
}

async function* mapStage(source: AsyncIterable<Sample>, stage: TransformStage, ctx: KernelContext) {
  for await (const sample of source) yield await applyStage(stage, sample, ctx);
}

async function* takeSamples(source: AsyncIterable<Sample>, count: number) {
  if (count === 0) return;
  let n = 0;
  for await (const sample of source) {
    yield sample;
    if (++n >= count) return;
  }
}

/**
 * Collates samples into one batch sample: tensors concatenated on axis 0 (the items' tensors are
 * disposed), other values gathered into arrays with one value per item.
 *
 * @param samples samples with the same fields and tensor sizes (but the batch axis)
 * @returns the batch; the caller owns its tensors
 * @throws {PipelineError} when tensors of one field differ in size (the items are disposed)
 */
export function collate(samples: Sample[]): Sample {
  const out: Sample = {};
  for (const key of Object.keys(samples[0])) {
    const values = samples.map((s) => s[key]);
    if (values[0] instanceof tf.Tensor) {
      const tensors = values as tf.Tensor[];
      const shapes = tensors.map((t) => t.shape.slice(1).join("×"));
      if (new Set(shapes).size > 1) {
        disposeAll(Object.values(out));
        disposeAll(samples);
        throw new PipelineError(
          `Cannot batch samples ${samples.map((s) => s.name).join(", ")}: "${key}" sizes differ (${
            shapes.join(", ")
          }); use a resize_or_crop that gives one size, or batchSize 1`,
        );
      }
      out[key] = tensors.length === 1 ? tensors[0] : tf.concat(tensors, 0);
    } else {
      out[key] = values;
    }
  }
  for (const s of samples) {
    for (const v of Object.values(s)) {
      if (v instanceof tf.Tensor && !Object.values(out).includes(v)) v.dispose();
    }
  }
  return out;
}

async function* batchSamples(source: AsyncIterable<Sample>, size: number) {
  let pending: Sample[] = [];
  try {
    for await (const sample of source) {
      pending.push(sample);
      if (pending.length === size) {
        const items = pending;
        pending = [];
        yield collate(items);
      }
    }
    if (pending.length) {
      const items = pending;
      pending = [];
      yield collate(items);
    }
  } finally {
    disposeAll(pending);
  }
}

/** Runs `source` up to `depth` items ahead of the consumer. */
export async function* prefetchSamples<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  try {
    while (true) {
      while (queue.length < depth) queue.push(it.next());
      const next = await queue.shift()!;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await it.return?.();
  }
}
