/**
 * Training benchmark: seconds per training iteration of the official recipe (batch 1, 35 labels +
 * boundary = 36 input channels, global generator with 4 downsamplings and 9 res-blocks, num_D 2,
 * n_layers_D 3, ndf 64, LSGAN + feature matching + VGG19 loss with random weights, both Adam steps),
 * for ngf 32 and 64 at 256×128 and 512×256, per backend that loads; beside the official PyTorch code
 * when `--peer pytorch` is given, else against its dated figures (bench/cases.ts). Each case runs in a
 * process of its own (bench/one_case.ts). Warm-up iterations first (Adam allocates its state; on
 * oneDNN each convolution times its variants on its first calls, see conv_primitive.ts), then the
 * median of `reps`.
 *
 * Run: `deno task bench train [--json] [--backends onednn,wasm] [--cases ngf32-256x128,…] [--quick]
 * [--reps 3] [--profile] [--peer pytorch --official_repo DIR]`
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { selectBackend } from "../backends/select.ts";
import type { Logger } from "../kernel/log.ts";
import { randomVgg19StateDict, Vgg19Features } from "../plugins/losses/vgg19.ts";
import { resolveTrainOptions } from "../plugins/train/options.ts";
import { type Batch, TrainingSession } from "../plugins/train/session.ts";
import { estimateTrainingMemory, formatMemoryEstimate } from "../plugins/train/memory_estimate.ts";
import { profileTrainStep } from "./profile.ts";
import { TUNING_CALLS } from "../backends/onednn/conv_primitive.ts";
import { type BenchCase, type CaseTiming, estimateGmac, parseTrainCase, type TrainCase } from "./cases.ts";
import { runSideBySide, type SideBySideOptions, type SideBySideReport } from "./side_by_side.ts";

/** The cpu backend's forward throughput; its filter gradients are ~100× slower. */
const CPU_GMACS = 0.7;
/** Longest estimated iteration (seconds) the benchmark attempts. */
const MAX_ITERATION_SECONDS = 120;
/** The most memory a wasm module can address (wasm32); a run past it aborts the module for good. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

function randomBatch(width: number, height: number): Batch {
  return tf.tidy(() => {
    const ids = tf.randomUniformInt([1, height, width], 0, 35, 1);
    const edge = tf.cast(
      tf.greater(tf.randomUniform([1, height, width, 1], 0, 1, "float32", 2), 0.9),
      "float32",
    );
    const input = tf.concat([tf.cast(tf.oneHot(ids, 35), "float32"), edge], 3) as tf.Tensor4D;
    const image = tf.randomUniform([1, height, width, 3], -1, 1, "float32", 3) as tf.Tensor4D;
    return { input, image };
  });
}

function timed(session: TrainingSession, batch: Batch): number {
  const start = performance.now();
  session.step(batch);
  return (performance.now() - start) / 1000;
}

/**
 * Times one training case on the current backend, in this process: builds the session, skips the
 * case when its memory estimate is past wasm's 4 GiB heap, else the first iteration, the warm-up
 * (oneDNN's variant tuning), then `reps` timed iterations.
 *
 * @param c the case
 * @param backend the backend in use (its memory estimate differs)
 * @param reps timed iterations
 * @param log where progress goes
 * @returns the timing with the memory estimate in GiB, or why it was skipped
 */
export async function measureTrain(
  c: TrainCase,
  backend: string,
  reps: number,
  log: Logger,
): Promise<(CaseTiming | { skipped: string }) & { memoryGiB: number }> {
  const opts = resolveTrainOptions({ label_nc: 35, ngf: c.ngf, num_D: 2, n_layers_D: 3, ndf: 64, seed: 0 });
  const vgg = Vgg19Features.fromStateDict(randomVgg19StateDict(0), "random VGG19");
  const session = await TrainingSession.create(opts, vgg);
  const count = (m: Map<string, tf.Variable>) => [...m.values()].reduce((n, v) => n + v.size, 0);
  const memory = estimateTrainingMemory(
    opts,
    {
      G: count(session.models.G.params()),
      D: count(session.models.D.params()),
    },
    { height: c.height, width: c.width },
    backend,
  );
  const memoryGiB = memory.total / 2 ** 30;
  const heapBytes = memory.total - memory.offHeap;
  if ((backend === "wasm" || backend === "onednn" || backend === "ort") && heapBytes > WASM_HEAP_BYTES) {
    session.dispose();
    const gib = (heapBytes / 2 ** 30).toFixed(1);
    return {
      skipped: `needs ≈ ${gib} GiB in the wasm heap, more than wasm's 4 GiB address space`,
      memoryGiB,
    };
  }
  log.info(`bench train: ${backend} ${c.name}: ${formatMemoryEstimate(memory)}`);
  const batch = randomBatch(c.width, c.height);
  try {
    const firstSeconds = timed(session, batch);
    const warmups = backend === "onednn" ? TUNING_CALLS - 1 : 0;
    for (let i = 0; i < warmups; i++) timed(session, batch);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(timed(session, batch));
    log.info(
      `bench train: ${backend} ${c.name}: first ${firstSeconds.toFixed(2)} s, then ${
        times.map((t) => t.toFixed(2)).join(", ")
      } s`,
    );
    const sorted = [...times].sort((a, b) => a - b);
    return { seconds: sorted[Math.floor(sorted.length / 2)], times, firstSeconds, memoryGiB };
  } finally {
    tf.dispose([batch.input, batch.image]);
    session.dispose();
  }
}

function skipTrain(c: BenchCase, backend: string): string | null {
  const estimate = estimateGmac(c) / CPU_GMACS;
  if (backend !== "cpu" || estimate <= MAX_ITERATION_SECONDS) return null;
  return `cpu ≈ ${CPU_GMACS} GMAC/s forward and far slower filter gradients: ≥ ${
    Math.round(estimate / 60)
  } min per iteration`;
}

/**
 * Benchmarks training iterations, case by case: ours on each backend that loads, then the PyTorch
 * peer's when there is one; then, with `profile`, prints where an iteration's time goes
 * (bench/profile.ts, ngf 32 at 256×128) on each cpu/wasm/onednn backend.
 *
 * @param opts `cases`: case names (bench/cases.ts); `backends`: backend names in order; `reps`: timed
 *   iterations after the warm-up; `peer`: the PyTorch peer or null; `profile`: also profile an
 *   iteration, `json`: the profile as JSON
 * @returns the report (bench/side_by_side.ts `formatReport` prints it)
 */
export async function benchTrain(
  opts: Omit<SideBySideOptions, "kind" | "cases" | "skip"> & {
    cases: string[];
    profile: boolean;
    json: boolean;
  },
): Promise<SideBySideReport> {
  const report = await runSideBySide({
    ...opts,
    kind: "train",
    cases: opts.cases.map(parseTrainCase),
    skip: skipTrain,
  });
  if (opts.profile) {
    for (const backend of report.backends) {
      if (backend !== "cpu" && backend !== "wasm" && backend !== "onednn" && backend !== "ort") continue;
      await selectBackend(backend);
      await profileTrainStep({
        backend,
        json: opts.json,
        steps: 1,
        ...(backend === "onednn" ? {} : { warmup: 1 }),
      });
    }
  }
  return report;
}
