/**
 * `--continue_train` on a run folder of the official PyTorch train.py: its `<which>_net_G.pth`,
 * `<which>_net_D.pth` (and `_net_E.pth` with instance-wise features) and `iter.txt`, without any
 * checkpoint of ours. As the official train.py, the run resumes at the epoch and iteration of
 * `iter.txt` (epoch 1, iteration 0 when there is none) with the networks' weights, and the options
 * come from the command line.
 *
 * What the official folder does not hold starts afresh, and the run says so in one line: the Adam
 * moments and steps (both optimizers), the random state, the image pool. The learning rate is the
 * schedule's at that epoch; the official code does not restore it either: its `old_lr` restarts at
 * `--lr` and decays from there, so it trains the epochs after a resume in the decay phase at a higher
 * rate than an uninterrupted run.
 *
 * @module
 */
import { officialNetworkPath } from "../checkpoints/files.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import type { Logger } from "../../kernel/log.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { loadNetworkWeights } from "./checkpoint.ts";
import type { Models } from "./models.ts";
import { officialLogPaths, optionDifferences, readIterFile, readOptionsFile } from "./official_logs.ts";
import type { TrainOptions } from "./options.ts";
import { learningRateAt } from "./schedule.ts";

/** An official run folder to continue. */
export interface OfficialRun {
  /** The folder (`<checkpoints_dir>/<name>`). */
  dir: string;
  /** The checkpoint label of its `.pth` files ("latest" or an epoch). */
  which: string;
}

/** Where the continued run starts. */
export interface OfficialProgress {
  /** The epoch. */
  epoch: number;
  /** The samples of that epoch already done. */
  epochIter: number;
  /** The samples done in the run: the official `(start_epoch - 1) * dataset_size + epoch_iter`. */
  totalSteps: number;
}

/**
 * The official run in a folder, if it holds the generator's `.pth` of that checkpoint.
 *
 * @param dir the run folder
 * @param which "latest" or an epoch
 * @returns the run, or null
 */
export async function findOfficialRun(dir: string, which: string): Promise<OfficialRun | null> {
  try {
    return (await Deno.stat(officialNetworkPath(dir, which, "G"))).isFile ? { dir, which } : null;
  } catch {
    return null;
  }
}

/** The options that decide the networks' shapes. */
const ARCHITECTURE_KEYS = [
  "label_nc",
  "input_nc",
  "output_nc",
  "no_instance",
  "netG",
  "ngf",
  "n_downsample_global",
  "n_blocks_global",
  "n_local_enhancers",
  "n_blocks_local",
  "instance_feat",
  "label_feat",
  "load_features",
  "feat_num",
  "nef",
  "n_downsample_E",
  "num_D",
  "n_layers_D",
  "ndf",
  "no_ganFeat_loss",
];

async function loadNet(
  run: OfficialRun,
  net: string,
  module: { loadStateDict(sd: Map<string, NdArray>, file: string): void },
  opts: TrainOptions,
): Promise<void> {
  const { tensors, file } = await loadNetworkWeights(run.dir, run.which, net);
  try {
    module.loadStateDict(tensors, file);
  } catch (error) {
    if (!(error instanceof CheckpointError) || error.file !== file) throw error;
    const optPath = officialLogPaths(run.dir).options;
    const written = await readOptionsFile(optPath);
    const diff = written ? optionDifferences(written, opts, ARCHITECTURE_KEYS) : [];
    const hint = diff.length
      ? `; ${optPath} says ${diff.map(([k, w, o]) => `--${k} ${w} (given ${o})`).join(", ")}`
      : "; give the options the official run was trained with";
    throw new CheckpointError(file, error.message.slice(file.length + 2) + hint);
  }
}

/**
 * Loads an official run's networks into fresh models and works out where it stopped.
 *
 * @param run the folder
 * @param models the run's networks, as built from the command line's options
 * @param opts the options (batchSize, the schedule)
 * @param perEpoch samples per epoch of this dataset
 * @param log where the line saying what is resumed and what is not goes
 * @returns the epoch, iteration and samples done
 * @throws {CheckpointError} when a network's file is missing or does not fit the options' networks
 *   (naming the tensor, and the architecture options the run's opt.txt has otherwise), or iter.txt is
 *   not two whole numbers
 */
export async function loadOfficialRun(
  run: OfficialRun,
  models: Models,
  opts: TrainOptions,
  perEpoch: number,
  log: Logger,
): Promise<OfficialProgress> {
  await loadNet(run, "G", models.G, opts);
  await loadNet(run, "D", models.D, opts);
  if (models.E) await loadNet(run, "E", models.E, opts);
  const iterPath = officialLogPaths(run.dir).iter;
  const saved = await readIterFile(iterPath);
  let epoch = saved?.epoch ?? 1;
  let epochIter = Math.floor((saved?.epochIter ?? 0) / opts.batchSize) * opts.batchSize;
  if (epochIter >= perEpoch) [epoch, epochIter] = [epoch + 1, 0];
  const progress = { epoch, epochIter, totalSteps: (epoch - 1) * perEpoch + epochIter };
  const lr = learningRateAt(opts, Math.max(1, epoch));
  const officialLr = epoch > opts.niter + 1
    ? `; the official train.py would restart at --lr ${opts.lr}, it does not restore it`
    : "";
  log.info(
    `resuming the official run "${opts.name}" from ${run.which}_net_G/D${
      models.E ? "/E" : ""
    }.pth in ${run.dir}` +
      ` at epoch ${epoch}, iteration ${epochIter} (${
        saved ? "iter.txt" : "no iter.txt: the start, as official"
      })` +
      `; not carried over (an official checkpoint has none): the Adam moments and steps, the random state, ` +
      `the image pool; learning rate ${lr} from the schedule${officialLr}`,
  );
  return progress;
}

/**
 * Says that a folder has no checkpoint to continue, ours or official.
 *
 * @param dir the run folder
 * @param which "latest" or an epoch
 * @param name the run's name
 * @param statePath our training-state file
 * @returns the error
 */
export function noCheckpointError(
  dir: string,
  which: string,
  name: string,
  statePath: string,
): CheckpointError {
  return new CheckpointError(
    statePath,
    `does not exist, nor an official ${
      officialNetworkPath(dir, which, "G")
    }: there is no checkpoint "${which}" ` +
      `of run "${name}" to continue; drop --continue_train to start it`,
  );
}
