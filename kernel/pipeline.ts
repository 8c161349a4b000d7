/**
 * The pipeline DSL: a source of samples flows through transforms into a sink.
 *
 * ```ts
 * const report = await pipeline()
 *   .from("aligned", { dataroot: "datasets/cityscapes", phase: "test" })
 *   .use("boundaries")
 *   .use("one-hot", { label_nc: 35 })
 *   .batch(2)
 *   .prefetch(2)
 *   .to(writer)
 *   .run();
 * ```
 *
 * Stages are given as objects (kernel/plugin.ts) or as registered plugin names with options. The
 * pipeline checks, before anything runs, that every stage's inputs are produced upstream. Data streams:
 * one sample (or batch) at a time, with optional async prefetch of the next ones while the sink works.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { PipelineError } from "./errors.ts";
import type {
  KernelContext,
  Plugin,
  Sample,
  SinkStage,
  SourceStage,
  Stage,
  TransformStage,
} from "./plugin.ts";
import { type Registry, registry as defaultRegistry } from "./registry.ts";
import { log as defaultLog, type Logger } from "./log.ts";
import { selectBackend } from "../backends/select.ts";

/** Options of a pipeline. */
export interface PipelineOptions {
  /** Backend to select before running ("auto", "wasm", …); leave unset to keep the current one. */
  backend?: string;
  /** Where messages go. */
  log?: Logger;
  /** Where plugin names are looked up. */
  registry?: Registry;
}

type StageInput<K extends Stage["kind"]> = Extract<Stage, { kind: K }> | string;

interface Step {
  kind: "transform" | "batch" | "prefetch" | "take";
  stage?: TransformStage;
  n?: number;
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

/** A pipeline under construction; frozen once `to()` or `stream()` is called. */
export class Pipeline {
  #options: PipelineOptions;
  #source?: SourceStage;
  #steps: Step[] = [];
  #sink?: SinkStage;
  #plugins: Plugin[] = [];
  #frozen = false;
  #ctx: KernelContext;

  /** @param options see `PipelineOptions` */
  constructor(options: PipelineOptions = {}) {
    this.#options = options;
    this.#ctx = { backend: tf.getBackend() ?? "none", log: options.log ?? defaultLog };
  }

  #check(verb: string): void {
    if (this.#frozen) {
      throw new PipelineError(
        `Cannot call \`${verb}\` on a frozen pipeline (it already has a sink or is streaming). Create a new pipeline with pipeline() instead.`,
      );
    }
  }

  #resolve<K extends Stage["kind"]>(kind: K, stage: StageInput<K>, options?: Record<string, unknown>) {
    if (typeof stage !== "string") {
      if (!stage || stage.kind !== kind) {
        throw new PipelineError(
          `Expected a ${kind} stage, got ${stage ? `a ${stage.kind} stage "${stage.name}"` : stage}`,
        );
      }
      return stage as Extract<Stage, { kind: K }>;
    }
    const reg = this.#options.registry ?? defaultRegistry;
    const plugin = reg.get(stage);
    const built = reg.create<Stage>(stage, options ?? {}, this.#ctx);
    if (!built || built.kind !== kind) {
      throw new PipelineError(`Plugin "${stage}" (${plugin.role}) does not provide a ${kind} stage`);
    }
    this.#plugins.push(plugin);
    return built as Extract<Stage, { kind: K }>;
  }

  /** Sets the source of samples: a source stage or a registered dataset plugin's name with options. */
  from(source: StageInput<"source">, options?: Record<string, unknown>): this {
    this.#check("from");
    if (this.#source) {
      throw new PipelineError(`A pipeline has one source; it already reads from "${this.#source.name}"`);
    }
    this.#source = this.#resolve("source", source, options);
    return this;
  }

  /** Adds a transform: a transform stage or a registered transform plugin's name with options. */
  use(transform: StageInput<"transform">, options?: Record<string, unknown>): this {
    this.#check("use");
    this.#steps.push({ kind: "transform", stage: this.#resolve("transform", transform, options) });
    return this;
  }

  /** Groups `size` samples into one: tensors are concatenated on the batch axis, other fields become arrays. */
  batch(size: number): this {
    this.#check("batch");
    if (!Number.isInteger(size) || size < 1) {
      throw new PipelineError(`batch(size) needs an integer ≥ 1: current value is ${size}`);
    }
    this.#steps.push({ kind: "batch", n: size });
    return this;
  }

  /** Prepares up to `depth` samples ahead while downstream stages work. */
  prefetch(depth = 2): this {
    this.#check("prefetch");
    if (!Number.isInteger(depth) || depth < 1) {
      throw new PipelineError(`prefetch(depth) needs an integer ≥ 1: current value is ${depth}`);
    }
    this.#steps.push({ kind: "prefetch", n: depth });
    return this;
  }

  /** Stops after `count` samples (or batches, after `batch`). */
  take(count: number): this {
    this.#check("take");
    if (!Number.isInteger(count) || count < 0) {
      throw new PipelineError(`take(count) needs an integer ≥ 0: current value is ${count}`);
    }
    this.#steps.push({ kind: "take", n: count });
    return this;
  }

  /** Sets the sink and freezes the pipeline; `run()` then drives it. */
  to<R>(sink: SinkStage<R> | string, options?: Record<string, unknown>): RunnablePipeline<R> {
    this.#check("to");
    this.#sink = this.#resolve("sink", sink as StageInput<"sink">, options) as SinkStage;
    this.#validate();
    this.#frozen = true;
    return new RunnablePipeline<R>(() => this.#run() as Promise<R>);
  }

  /** Freezes the pipeline and yields its samples (for notebooks and custom loops); the caller owns their tensors. */
  async *stream(): AsyncGenerator<Sample> {
    this.#check("stream");
    this.#validate();
    this.#frozen = true;
    await this.#start();
    try {
      yield* this.#samples();
    } finally {
      await this.#stop();
    }
  }

  /** Field names available after each stage, checked before running. */
  #validate(): void {
    if (!this.#source) {
      throw new PipelineError(
        'The pipeline has no source: call .from(dataset) first (e.g. .from("aligned", { dataroot }))',
      );
    }
    const have = new Set(this.#source.gives);
    for (const step of this.#steps) {
      if (step.kind !== "transform") continue;
      const stage = step.stage!;
      for (const need of stage.needs) {
        if (!have.has(need)) {
          throw new PipelineError(
            `Stage "${stage.name}" needs "${need}", but the samples only have: ${
              [...have].join(", ")
            }. Add a stage that gives "${need}" before it.`,
          );
        }
      }
      for (const g of stage.gives) have.add(g);
    }
    for (const need of this.#sink?.needs ?? []) {
      if (!have.has(need)) {
        throw new PipelineError(
          `Sink "${this.#sink!.name}" needs "${need}", but the samples only have: ${
            [...have].join(", ")
          }. Add a stage that gives "${need}" before it.`,
        );
      }
    }
  }

  async #start(): Promise<void> {
    if (this.#options.backend) this.#ctx.backend = (await selectBackend(this.#options.backend)).name;
    else this.#ctx.backend = tf.getBackend() ?? "none";
    for (const p of this.#plugins) await p.setup?.(this.#ctx);
  }

  async #stop(): Promise<void> {
    for (const step of this.#steps) await step.stage?.close?.();
    await this.#sink?.close?.();
    for (const p of this.#plugins) await p.teardown?.(this.#ctx);
  }

  #samples(): AsyncIterable<Sample> {
    let it: AsyncIterable<Sample> = this.#source!.samples(this.#ctx);
    for (const step of this.#steps) {
      if (step.kind === "transform") it = mapStage(it, step.stage!, this.#ctx);
      else if (step.kind === "batch") it = batchSamples(it, step.n!);
      else if (step.kind === "prefetch") it = prefetchSamples(it, step.n!);
      else it = takeSamples(it, step.n!);
    }
    return it;
  }

  async #run(): Promise<unknown> {
    await this.#start();
    try {
      for await (const sample of this.#samples()) await this.#sink!.consume(sample, this.#ctx);
      return await this.#sink!.finish?.(this.#ctx);
    } finally {
      await this.#stop();
    }
  }
}

/** A pipeline with a sink: `run()` drives it to the end and returns the sink's result. */
export class RunnablePipeline<R> {
  #run: () => Promise<R>;
  /** @param run the driver */
  constructor(run: () => Promise<R>) {
    this.#run = run;
  }
  /** Runs the pipeline once; returns what the sink's `finish` returns. */
  run(): Promise<R> {
    return this.#run();
  }
}

async function* mapStage(source: AsyncIterable<Sample>, stage: TransformStage, ctx: KernelContext) {
  for await (const sample of source) yield await stage.apply(sample, ctx);
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
 * Collates samples into one: tensors concatenated on axis 0 (the inputs are disposed), other values
 * gathered into arrays.
 *
 * @throws {PipelineError} when tensors of one field differ in shape (except the batch axis)
 */
export function collate(samples: Sample[]): Sample {
  const out: Sample = {};
  for (const key of Object.keys(samples[0])) {
    const values = samples.map((s) => s[key]);
    if (values.every((v) => v instanceof tf.Tensor)) {
      const tensors = values as tf.Tensor[];
      const shape = tensors[0].shape.slice(1).join("×");
      const odd = tensors.find((t) => t.shape.slice(1).join("×") !== shape);
      if (odd) {
        throw new PipelineError(
          `Cannot batch field "${key}": shapes differ (${
            tensors[0].shape
          } vs ${odd.shape}); resize or crop to one size first`,
        );
      }
      out[key] = tensors.length === 1 ? tensors[0] : tf.concat(tensors, 0);
      if (tensors.length > 1) tf.dispose(tensors);
    } else {
      out[key] = values;
    }
  }
  return out;
}

async function* batchSamples(source: AsyncIterable<Sample>, size: number) {
  let pending: Sample[] = [];
  for await (const sample of source) {
    pending.push(sample);
    if (pending.length === size) {
      yield collate(pending);
      pending = [];
    }
  }
  if (pending.length) yield collate(pending);
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
