/**
 * The sample source every dataset plugin builds on: the epoch's order (seeded shuffle or
 * `serial_batches`), `max_dataset_size`, per-sample random draws taken in order from the run's `Rng`,
 * reading ahead in workers, and tensors made on the main thread.
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import { defineSchema } from "../../kernel/options.ts";
import type { Sample, SourceStage } from "../../kernel/plugin.ts";
import { Rng } from "../../kernel/random.ts";
import { labelOptionsSchema } from "./label_options.ts";
import { drawParams, preprocessSchema } from "./preprocess.ts";
import { readAhead, type ReadJob } from "./prefetch.ts";
import { rawToSample } from "./sample_tensors.ts";
import type { Entry, ReadOptions } from "./sample_reader.ts";

/** A problem found while indexing or checking a dataset. */
export interface Problem {
  /** The file or folder at fault. */
  file: string;
  /** What is wrong and the fix. */
  message: string;
}

/** A dataset's file index. */
export interface DatasetIndex {
  /** The samples, sorted by name. */
  entries: Entry[];
  /** Folders that were read (role → path), for reports. */
  folders: Record<string, string>;
  /** Files found per role (label, inst, image, feat), before pairing. */
  counts: Record<string, number>;
  /** Everything wrong with the layout (empty folders, unmatched files, count mismatches). */
  problems: Problem[];
}

/** Options every dataset plugin has (official flag names), preprocessing included. */
export const datasetSchema = defineSchema({
  ...preprocessSchema,
  dataroot: { type: "string", default: null, doc: "the dataset's root folder" },
  phase: { type: "string", default: "train", doc: "which part of the dataset: train, val, test, …" },
  ...labelOptionsSchema,
  serial_batches: {
    type: "boolean",
    default: false,
    doc: "take samples in their sorted order, not shuffled",
  },
  max_dataset_size: {
    type: "int",
    default: null,
    min: 1,
    doc: "at most this many samples per epoch (default: all)",
  },
  batchSize: { type: "int", default: 1, min: 1, doc: "input batch size (an epoch holds whole batches)" },
  seed: { type: "int", default: 0, doc: "seed of the order, crop and flip draws" },
  prefetch: { type: "int", default: 2, min: 0, doc: "samples read ahead in background workers (0: inline)" },
});

/** A dataset's source stage, with its random generator (save `rng.state()` in checkpoints). */
export interface DatasetSource extends SourceStage {
  /** The samples' files. */
  entries: readonly Entry[];
  /** The generator of the order, crops and flips; replace it to resume a run. */
  rng: Rng;
  /**
   * When set, samples whose entry it rejects are left out before their files are read (a shard of a
   * batch job); the others keep the order and random draws they have in the whole epoch.
   */
  keep?: (entry: Entry) => boolean;
}

/** How a source orders and reads samples. */
export interface SourceOptions {
  serial_batches: boolean;
  max_dataset_size: number | null;
  batchSize: number;
  prefetch: number;
}

/**
 * Throws the problems of an index as one error.
 *
 * @param index the index
 * @param root the dataset root, for the hint
 * @throws {DataError} naming the first problem and how many more there are
 */
export function assertIndexOk(index: DatasetIndex, root: string): void {
  if (index.problems.length === 0) return;
  const [first, ...rest] = index.problems;
  const more = rest.length
    ? ` (and ${rest.length} more problem(s): run \`deno run -A scripts/inspect.ts --dataroot ${root}\` for all)`
    : "";
  throw new DataError(first.file, first.message + more);
}

/**
 * The samples of one epoch, in order: which entries, and each one's random draws.
 *
 * @param entries all samples (sorted)
 * @param opts order options
 * @param rng the run's generator (advanced: shuffle, then 3 draws per sample)
 * @param root the dataset root, named in errors
 * @returns the epoch's read jobs, drawn lazily in order
 * @throws {DataError} when there are fewer samples than `batchSize`
 */
export function* epochJobs(
  entries: readonly Entry[],
  opts: SourceOptions,
  rng: Rng,
  root: string,
): Generator<ReadJob> {
  const usable = Math.floor(entries.length / opts.batchSize) * opts.batchSize;
  if (usable === 0) {
    throw new DataError(
      root,
      `has ${entries.length} sample(s), fewer than batchSize ${opts.batchSize}: add data or lower batchSize`,
    );
  }
  const order = Array.from({ length: usable }, (_, i) => i);
  if (!opts.serial_batches) rng.shuffle(order);
  const maxBatches = opts.max_dataset_size === null
    ? Infinity
    : Math.ceil(opts.max_dataset_size / opts.batchSize);
  const count = Math.min(usable, maxBatches * opts.batchSize);
  for (let i = 0; i < count; i++) yield { entry: entries[order[i]], draws: drawParams(rng) };
}

function* keptJobs(jobs: Iterable<ReadJob>, keep?: (entry: Entry) => boolean): Generator<ReadJob> {
  for (const job of jobs) if (!keep || keep(job.entry)) yield job;
}

/**
 * Builds a dataset's source stage.
 *
 * @param name the dataset plugin's name
 * @param root the dataset root
 * @param index its file index (must have no problems)
 * @param read how to read files
 * @param order how to order and prefetch samples
 * @param seed seed of the generator
 * @returns the source stage; each `samples()` call is one epoch
 * @throws {DataError} when the index has problems
 */
export function createSource(
  name: string,
  root: string,
  index: DatasetIndex,
  read: ReadOptions,
  order: SourceOptions,
  seed: number,
): DatasetSource {
  assertIndexOk(index, root);
  const gives = ["name", "labelPath", "plan", "label"];
  const first = index.entries[0];
  if (first?.inst) gives.push("instPath", "inst");
  if (first?.image) gives.push("imagePath", "image");
  if (first?.feat) gives.push("featPath", "feat");
  const usable = Math.floor(index.entries.length / order.batchSize) * order.batchSize;
  const source: DatasetSource = {
    kind: "source",
    name,
    gives,
    size: order.max_dataset_size === null
      ? usable
      : Math.min(usable, Math.ceil(order.max_dataset_size / order.batchSize) * order.batchSize),
    entries: index.entries,
    rng: new Rng(seed),
    async *samples(): AsyncGenerator<Sample> {
      const jobs = epochJobs(index.entries, order, source.rng, root);
      for await (const raw of readAhead(keptJobs(jobs, source.keep), read, order.prefetch)) {
        yield rawToSample(raw);
      }
    },
  };
  return source;
}
