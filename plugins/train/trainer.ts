/**
 * The training loop of the official train.py: epochs `1 … niter + niter_decay` over the dataset, the
 * learning-rate schedule, the fixed-global phase, checkpoints (`latest` every `save_latest_freq`
 * samples, `<epoch>` every `save_epoch_freq` epochs, and on interruption), the loss log (ours and the
 * official `loss_log.txt`, `opt.txt`, `iter.txt`), the web page and a progress bar — resumable exactly
 * with `continue_train`.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../../backends/tf.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import { diffFromDefaults } from "../../kernel/options.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { createLogger, type Logger } from "../../kernel/log.ts";
import { activeBackendName } from "../../backends/select.ts";
import type { Sample } from "../../kernel/plugin.ts";
import type { Vgg19Features } from "../losses/vgg19.ts";
import {
  type FileWriter,
  hasCheckpoint,
  loadCheckpoint,
  loadNetworkWeights,
  saveCheckpoint,
  writeDurably,
} from "./checkpoint.ts";
import { trainStatePath } from "../checkpoints/files.ts";
import { mergeStoredConfig } from "./config_check.ts";
import { epochBatches, openTrainingData, withDatasetDefaults } from "./data.ts";
import { appendLossLog, type LossRecord, truncateLossLog } from "./loss_log.ts";
import { estimateTrainingMemory, formatMemoryEstimate } from "./memory_estimate.ts";
import { loadPretrained } from "./models.ts";
import { findOfficialRun, loadOfficialRun, noCheckpointError, type OfficialRun } from "./official_resume.ts";
import {
  appendAtomically,
  lossLogHeader,
  lossLogLine,
  officialLogPaths,
  writeIterFile,
  writeOptionsFile,
} from "./official_logs.ts";
import { resolveTrainOptions, type TrainOptions, trainSchema } from "./options.ts";
import { learningRateAt, totalEpochs } from "./schedule.ts";
import { type Batch, DivergedError, TrainingSession } from "./session.ts";
import { saveVisuals, writeWebPage } from "./web_page.ts";

/** What a caller can plug into a run. */
export interface TrainHooks {
  /** Messages and progress (default: stderr). */
  log?: Logger;
  /** Aborting saves `latest` after the current iteration and returns (Ctrl-C). */
  signal?: AbortSignal;
  /** Writes checkpoint files (tests inject a full disk). */
  writer?: FileWriter;
  /** VGG19 features to use instead of loading `vgg_weights` (tests, benchmarks). */
  vgg?: Vgg19Features;
  /** Stop after this many iterations in this call, saving `latest` (tests of resumption). */
  maxIterations?: number;
}

/** How a run ended. */
export interface TrainResult {
  /** "finished" all epochs, "interrupted" by the signal, or "paused" at maxIterations. */
  status: "finished" | "interrupted" | "paused";
  /** The epoch the run would continue with. */
  epoch: number;
  /** Samples done in that epoch. */
  epochIter: number;
  /** Samples done in the whole run. */
  totalSteps: number;
  /** The checkpoint folder. */
  dir: string;
  /** The options the run used. */
  options: TrainOptions;
}

/** Where a run stands; saved in checkpoints. */
interface Progress {
  epoch: number;
  epochIter: number;
  totalSteps: number;
  epochSeed: number | null;
}

function toBatch(sample: Sample, opts: TrainOptions): Batch {
  const input = sample.input as tf.Tensor4D, image = sample.image as tf.Tensor4D;
  const inst = (opts.label_feat ? sample.label : sample.inst) as tf.Tensor4D | undefined;
  return { input, image, inst, feat: sample.feat as tf.Tensor4D | undefined };
}

function paramCount(params: Map<string, tf.Variable>): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

/** Where a run starts: afresh, from a checkpoint of ours, or from an official run's folder. */
interface RunStart {
  opts: TrainOptions;
  dir: string;
  resume: Awaited<ReturnType<typeof loadCheckpoint>> | null;
  official: OfficialRun | null;
}

async function resolveRun(given: Record<string, unknown>): Promise<RunStart> {
  const first = resolveTrainOptions(given);
  const dir = join(first.checkpoints_dir, first.name);
  if (!first.continue_train) return { opts: first, dir, resume: null, official: null };
  if (!(await hasCheckpoint(dir, first.which_epoch))) {
    const official = await findOfficialRun(dir, first.which_epoch);
    if (official) return { opts: first, dir, resume: null, official };
    throw noCheckpointError(dir, first.which_epoch, first.name, trainStatePath(dir, first.which_epoch));
  }
  const resume = await loadCheckpoint(dir, first.which_epoch);
  const opts = mergeStoredConfig(resume.config, given, trainStatePath(dir, first.which_epoch));
  return { opts, dir, resume, official: null };
}

async function loadStartingPoint(
  session: TrainingSession,
  opts: TrainOptions,
  start: RunStart,
  perEpoch: number,
  log: Logger,
): Promise<Progress> {
  const { G, D, E } = session.models;
  const { resume, dir } = start;
  if (start.official) {
    const p = await loadOfficialRun(start.official, session.models, opts, perEpoch, log);
    return { ...p, epochSeed: null };
  }
  if (resume) {
    const file = trainStatePath(dir, opts.which_epoch);
    for (const [net, module] of [["G", G], ["D", D], ["E", E]] as const) {
      const sd = resume.networks.get(net);
      if (module && !sd) throw new CheckpointError(file, `has no network ${net}`);
      if (module && sd) module.loadStateDict(sd, file.replace("train_state", `net_${net}`));
    }
    const t = resume.trainer as Record<string, unknown>;
    session.restore({
      tensors: resume.state,
      meta: {
        optimizer_G_step: t.optimizer_G_step as number,
        optimizer_D_step: t.optimizer_D_step as number,
        fixed_global: t.fixed_global as boolean,
        rng: t.rng as number[],
      },
    });
    const progress = {
      epoch: t.epoch as number,
      epochIter: t.epoch_iter as number,
      totalSteps: t.total_steps as number,
      epochSeed: t.epoch_seed as number | null,
    };
    log.info(
      `resuming "${opts.name}" from checkpoint "${opts.which_epoch}": epoch ${progress.epoch}, iteration ${progress.totalSteps}`,
    );
    return progress;
  }
  if (opts.load_pretrain) {
    for (const [net, module] of [["G", G], ["D", D], ["E", E]] as const) {
      if (!module) continue;
      let weights;
      try {
        weights = await loadNetworkWeights(opts.load_pretrain, opts.which_epoch, net);
      } catch (error) {
        if (net === "G") throw error;
        log.warn(`${(error as Error).message}; ${net} starts from fresh weights`);
        continue;
      }
      const r = loadPretrained(module, weights.tensors, weights.file, net === "G" ? "model." : "");
      log.info(
        `loaded ${r.loaded.length} tensors of ${net} from ${weights.file}` +
          (r.fresh.length ? `; ${r.fresh.length} start fresh (${r.fresh.slice(0, 3).join(", ")}…)` : "") +
          (r.unused.length ? `; ${r.unused.length} unused (${r.unused.slice(0, 3).join(", ")}…)` : ""),
      );
    }
  }
  return { epoch: 1, epochIter: 0, totalSteps: 0, epochSeed: null };
}

/**
 * Trains pix2pixHD.
 *
 * @param given the options the user gave (official flag names; only those typed, so that a resumed
 *   run can tell them from the stored ones)
 * @param hooks logger, abort signal, checkpoint writer, VGG override, iteration limit
 * @returns how and where the run ended
 * @throws {OptionsError} on bad options (e.g. the VGG loss without --vgg_weights)
 * @throws {DataError} when the dataset fails its check, before the first iteration
 * @throws {CheckpointError} when a checkpoint cannot be loaded, conflicts with the options, or
 *   cannot be written (the previous one stays intact)
 * @throws {DivergedError} when a loss becomes NaN or infinite: names the iteration and the last good
 *   checkpoint, which is left as it was
 */
export async function train(given: Record<string, unknown>, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? createLogger();
  await tf.ready();
  const start = await resolveRun(await withDatasetDefaults(given));
  const { opts, dir, resume } = start;
  const changed = diffFromDefaults(trainSchema, opts);
  log.info(
    `training "${opts.name}" on ${activeBackendName()}; options other than the defaults: ${
      JSON.stringify(changed)
    }`,
  );
  const session = await TrainingSession.create(opts, hooks.vgg);
  const webDir = join(dir, "web"), logPath = join(dir, "loss_log.jsonl");
  const writer = hooks.writer ?? writeDurably;
  let lastSaved = resume
    ? `"${opts.which_epoch}" (iteration ${(resume.trainer as { total_steps: number }).total_steps})`
    : start.official
    ? `the official "${opts.which_epoch}" (.pth)`
    : "none";
  try {
    const data = await openTrainingData(opts, log);
    const p = await loadStartingPoint(session, opts, start, data.batches * opts.batchSize, log);
    await Deno.mkdir(dir, { recursive: true });
    const records: LossRecord[] = await truncateLossLog(logPath, p.totalSteps);
    const official = officialLogPaths(dir);
    if (!opts.continue_train) await writeOptionsFile(official.options, opts);
    await appendAtomically(official.lossLog, lossLogHeader(new Date()));
    const save = async (which: string) => {
      const state = session.state();
      const networks = new Map([["G", session.models.G.stateDict()], ["D", session.models.D.stateDict()]]);
      if (session.models.E) networks.set("E", session.models.E.stateDict());
      const trainer = {
        ...state.meta,
        epoch: p.epoch,
        epoch_iter: p.epochIter,
        total_steps: p.totalSteps,
        epoch_seed: p.epochSeed,
        lr: session.lr,
        backend: activeBackendName(),
        saved_at: new Date().toISOString(),
      };
      await saveCheckpoint(dir, which, { networks, state: state.tensors, trainer, config: opts }, writer);
      if (which === "latest") await writeIterFile(official.iter, p.epoch, p.epochIter);
      lastSaved = `"${which}" (iteration ${p.totalSteps})`;
    };
    const epochs = totalEpochs(opts);
    const perEpoch = data.batches * opts.batchSize;
    const bar = log.progress(
      "train",
      Math.max(0, (epochs - p.epoch + 1) * data.batches - p.epochIter / opts.batchSize),
    );
    let done = 0, estimated = false, lastPrint = performance.now(), sincePrint = 0;
    let stop: "interrupted" | "paused" | null = null;
    try {
      while (p.epoch <= epochs && !stop) {
        if (session.fixedGlobal && p.epoch > opts.niter_fix_global) {
          session.releaseGlobal();
          log.info(`epoch ${p.epoch}: the global generator trains too from now on (fresh Adam)`);
        }
        session.lr = learningRateAt(opts, p.epoch);
        p.epochSeed ??= session.rng.seed();
        for await (const sample of epochBatches(data, p.epochSeed, p.epochIter / opts.batchSize)) {
          if (hooks.signal?.aborted) stop = "interrupted";
          else if (hooks.maxIterations !== undefined && done >= hooks.maxIterations) stop = "paused";
          if (stop) {
            disposeAll(sample);
            break;
          }
          try {
            const batch = toBatch(sample, opts);
            if (!estimated) {
              estimated = true;
              const { G, D, E } = session.models;
              const counts = {
                G: paramCount(G.params()),
                D: paramCount(D.params()),
                E: E ? paramCount(E.params()) : 0,
              };
              const [, height, width] = batch.image.shape;
              const estimate = estimateTrainingMemory(opts, counts, { height, width }, activeBackendName());
              log.info(`${width}×${height}, batch ${opts.batchSize}: ${formatMemoryEstimate(estimate)}`);
            }
            p.totalSteps += opts.batchSize;
            p.epochIter += opts.batchSize;
            const display = !opts.no_html && p.totalSteps % opts.display_freq === 0;
            let result;
            try {
              result = session.step(batch, display);
            } catch (error) {
              if (!(error instanceof DivergedError)) throw error;
              throw new DivergedError(
                error.losses,
                `at epoch ${p.epoch}, iteration ${p.totalSteps}`,
                `the last good checkpoint ${lastSaved} in ${dir} is untouched: continue from it with a lower --lr, or check the data`,
              );
            }
            done++;
            sincePrint += opts.batchSize;
            bar.tick({ epoch: String(p.epoch), ...result.losses });
            const print = p.totalSteps % opts.print_freq === 0;
            if (print) {
              const now = performance.now();
              const time = (now - lastPrint) / 1000 / sincePrint;
              [lastPrint, sincePrint] = [now, 0];
              const record = {
                epoch: p.epoch,
                epoch_iter: p.epochIter,
                total_steps: p.totalSteps,
                time,
                lr: session.lr,
              };
              records.push({ ...record, ...result.losses });
              await appendLossLog(logPath, records[records.length - 1]);
              await appendAtomically(
                official.lossLog,
                lossLogLine({ epoch: p.epoch, epochIter: p.epochIter, time }, result.losses, opts),
              );
            }
            if (result.fake) {
              const visuals = {
                label: sample.label as tf.Tensor4D,
                synthesized: result.fake,
                real: batch.image,
              };
              await saveVisuals(webDir, { epoch: p.epoch, totalSteps: p.totalSteps }, visuals, data.palette);
              result.fake.dispose();
            }
            if (!opts.no_html && (display || print)) await writeWebPage(webDir, opts.name, records);
          } finally {
            disposeAll(sample);
          }
          if (p.totalSteps % opts.save_latest_freq === 0) await save("latest");
        }
        if (stop && p.epochIter < perEpoch) break;
        const finished = p.epoch;
        [p.epoch, p.epochIter, p.epochSeed] = [finished + 1, 0, null];
        if (finished % opts.save_epoch_freq === 0 || finished === epochs) await save("latest");
        if (finished % opts.save_epoch_freq === 0) await save(String(finished));
      }
    } finally {
      bar.stop();
    }
    if (stop) {
      await save("latest");
      log.info(`${stop} at epoch ${p.epoch}, iteration ${p.totalSteps}: saved checkpoint "latest" in ${dir}`);
      return {
        status: stop,
        epoch: p.epoch,
        epochIter: p.epochIter,
        totalSteps: p.totalSteps,
        dir,
        options: opts,
      };
    }
    log.info(
      `finished "${opts.name}" after ${p.totalSteps} samples (${done} iterations in this call); checkpoints in ${dir}`,
    );
    return { status: "finished", epoch: p.epoch, epochIter: 0, totalSteps: p.totalSteps, dir, options: opts };
  } finally {
    session.dispose();
  }
}
