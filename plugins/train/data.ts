/**
 * The training data of a run, built from the data plugins (plugins/data/): the dataset is checked up
 * front with `inspectDataset`, and each epoch's order, crops and flips come from a per-epoch seed, so
 * a run resumed mid-epoch skips the samples already seen (without reading them) and sees exactly the
 * batches an uninterrupted run would.
 *
 * @module
 */
import { DataError, OptionsError } from "../../kernel/errors.ts";
import type { Sample } from "../../kernel/plugin.ts";
import { Rng } from "../../kernel/random.ts";
import type { Logger } from "../../kernel/log.ts";
import { sourceOptionsOf } from "../data/datasets/common.ts";
import { datasetOptionsOf, factsOf, readOptionsFor } from "../data/dataset_plugin.ts";
import { impliedOptions, resolveDataset } from "../data/dataset_option.ts";
import { type DatasetReport, inspectDataset } from "../data/inspect.ts";
import type { Palette } from "../data/palette.ts";
import { labelColormap } from "../data/palettes/label_colormap.ts";
import { readAhead } from "../data/prefetch.ts";
import { rawToSample } from "../data/sample_tensors.ts";
import type { Entry, RawSample, ReadOptions } from "../data/sample_reader.ts";
import { epochJobs, type SourceOptions } from "../data/source.ts";
import { encodeInput } from "../data/transforms.ts";
import { type Pipeline, pipeline } from "../../kernel/pipeline.ts";
import { resolveTrainOptions, type TrainOptions } from "./options.ts";

/** A run's dataset: its files, how to read and order them, and its display palette. */
export interface TrainingData {
  /** The dataset root. */
  root: string;
  /** The samples' files, sorted. */
  entries: readonly Entry[];
  /** How samples are read and preprocessed. */
  read: ReadOptions;
  /** Order, batch size, epoch size, read-ahead. */
  order: SourceOptions;
  /** Batches per epoch. */
  batches: number;
  /** Class colours for the web page. */
  palette: Palette;
  /** From read samples to encoded batches (batch → encode-input), configured with the dataset's facts. */
  pipeline: Pipeline;
}

function reportText(report: DatasetReport): string {
  const shown = report.problems.slice(0, 8).map((p) => `${p.file}: ${p.message}`);
  const more = report.problems.length > 8 ? `; … and ${report.problems.length - 8} more` : "";
  const suggest = report.suggestedLabelNc
    ? ` (label ids go up to ${report.maxLabelId}: --label_nc ${report.suggestedLabelNc}?)`
    : "";
  return `is not ready for training, ${report.problems.length} problem(s)${suggest}: ${
    shown.join("; ")
  }${more}`;
}

/**
 * The options of a new run once its dataset is known: the dataset plugin's name (detected from
 * dataroot when not given; `--plugin` modules loaded first) and what it implies for the options the
 * user did not give (its label_nc; no_instance without instance maps). A resumed run keeps the
 * options stored in its checkpoint.
 *
 * @param given the options the user gave
 * @returns them with the dataset's name and implied options
 * @throws {UsageError} for an unknown --dataset; {DataError} when dataroot holds no known layout
 */
export async function withDatasetDefaults(given: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (given.continue_train) return given;
  const dataset = await resolveDataset(resolveTrainOptions(given));
  return { ...impliedOptions(dataset, given), ...given, dataset: dataset.name };
}

/**
 * Checks a run's dataset with `inspectDataset` and indexes it.
 *
 * @param opts the run's options (dataroot, dataset, phase, label_nc, no_instance, preprocessing, …)
 * @param log where the check reports its progress
 * @returns the dataset
 * @throws {DataError} with the inspection report when the dataset has problems, or has no photos
 */
export async function openTrainingData(opts: TrainOptions, log: Logger): Promise<TrainingData> {
  const root = opts.dataroot;
  const dataset = await resolveDataset(opts);
  if (!dataset.dataset.photos) {
    throw new DataError(root, `is a "${dataset.name}" dataset, which has no photos to train on`);
  }
  if (opts.load_features && !dataset.dataset.features) {
    throw new OptionsError(
      "train",
      "load_features",
      `reads precomputed feature maps, which dataset "${dataset.name}" has none of: current value is true`,
    );
  }
  const o = datasetOptionsOf(dataset, { ...opts, prefetch: opts.nThreads });
  if (!opts.skip_inspect) {
    let progress: ReturnType<Logger["progress"]> | undefined;
    const report = await inspectDataset(root, {
      dataset,
      phase: opts.phase,
      label_nc: opts.label_nc,
      no_instance: opts.no_instance,
      load_features: opts.load_features,
      onProgress: (done, total) => {
        progress ??= log.progress("checking the dataset", total);
        if (done > 0) progress.tick();
      },
    });
    progress?.stop();
    if (report.problems.length) throw new DataError(root, reportText(report));
  }
  const index = dataset.dataset.index(o);
  if (index.problems.length) throw new DataError(index.problems[0].file, index.problems[0].message);
  if (!index.entries.length || !index.entries[0].image) {
    throw new DataError(
      root,
      `has no photos to train on (expected ${index.folders.image ?? `${opts.phase}_img/`})`,
    );
  }
  const order = sourceOptionsOf(o);
  const usable = Math.floor(index.entries.length / order.batchSize);
  const batches = order.max_dataset_size === null
    ? usable
    : Math.min(usable, Math.ceil(order.max_dataset_size / order.batchSize));
  if (batches === 0) {
    throw new DataError(
      root,
      `has ${index.entries.length} sample(s), fewer than batchSize ${order.batchSize}`,
    );
  }
  // The precomputed features (load_features) stay out of `input`: D sees the labels without them.
  const encode = pipeline({ facts: factsOf(dataset, o) }).batch(order.batchSize).use(encodeInput, {
    features: false,
  });
  return {
    root,
    entries: index.entries,
    read: readOptionsFor(dataset, o),
    order,
    batches,
    palette: dataset.dataset.palette ?? labelColormap(opts.label_nc),
    pipeline: encode,
  };
}

/**
 * The batches of one epoch, encoded for the networks (`input`, `image`, `label`, `inst`, …): the
 * epoch's samples, read ahead in workers, through the data's pipeline.
 *
 * @param data the dataset
 * @param epochSeed the epoch's seed (order, crops, flips)
 * @param skip batches to leave out at the start (already trained on before a resume)
 * @returns the batches; the consumer disposes each one's tensors
 * @throws {DataError} from reading or encoding a sample
 */
export async function* epochBatches(
  data: TrainingData,
  epochSeed: number,
  skip: number,
): AsyncGenerator<Sample> {
  const jobs = epochJobs(data.entries, data.order, new Rng(epochSeed), data.root);
  for (let i = 0; i < skip * data.order.batchSize; i++) jobs.next();
  yield* data.pipeline.stream(samplesOf(readAhead(jobs, data.read, data.order.prefetch)));
}

async function* samplesOf(raws: AsyncIterable<RawSample>): AsyncGenerator<Sample> {
  for await (const raw of raws) yield rawToSample(raw);
}
