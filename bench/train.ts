/**
 * Training benchmark: seconds per training iteration of the official recipe (batch 1, 35 labels +
 * boundary = 36 input channels, global generator with 4 downsamplings and 9 res-blocks, num_D 2,
 * n_layers_D 3, ndf 64, LSGAN + feature matching + VGG19 loss with random weights, both Adam steps),
 * for ngf 32 and 64 at 256×128 and 512×256, per backend that loads, against the official PyTorch
 * code on this project's CPU. Warm-up iterations first (Adam allocates its state; on oneDNN each
 * convolution times its variants on its first calls, see conv_primitive.ts), then the median of `reps`.
 *
 * Run: `deno run -A bench/train.ts [--json] [--backends wasm,cpu] [--cases ngf32-256x128,…]
 * [--reps 3] [--profile]`
 *
 * @module
 */
import { tf } from "../kernel/tf.ts";
import { selectBackend } from "../kernel/backend.ts";
import { createLogger, type Logger } from "../kernel/log.ts";
import { randomVgg19StateDict, Vgg19Features } from "../plugins/losses/vgg19.ts";
import { resolveTrainOptions } from "../plugins/train/options.ts";
import { type Batch, TrainingSession } from "../plugins/train/session.ts";
import { estimateTrainingMemory, formatMemoryEstimate } from "../plugins/train/memory_estimate.ts";
import { profileTrainStep } from "./profile.ts";
import { TRIALS_PER_VARIANT } from "../kernel/onednn/conv_primitive.ts";

/**
 * PyTorch's seconds per training iteration, copied from /work/shared/reference-figures.md
 * ("Reference figures: the official PyTorch code on this project's CPU": NVIDIA/pix2pixHD 14b3b3c,
 * PyTorch 1.13.1, float32, batch 1, 2 threads, 2-core AMD EPYC with AVX2/FMA; `Pix2PixHDModel.forward`
 * + optimizer_G step + optimizer_D step in train.py's order; one warm-up, median of 5; spread
 * ±10–20 %; GMAC estimated as 3× forward for G and D, 1.5× for VGG).
 */
export const PYTORCH_TRAIN_REFERENCE = {
  "ngf32-256x128": { seconds: 1.82, gmac: 87 },
  "ngf32-512x256": { seconds: 6.88, gmac: 340 },
  "ngf64-256x128": { seconds: 6.06, gmac: 153 },
  "ngf64-512x256": { seconds: 14.9, gmac: 603 },
} as const;

/** A benchmark case name. */
export type TrainCase = keyof typeof PYTORCH_TRAIN_REFERENCE;

/** The cpu backend's forward throughput (reference-figures.md); its filter gradients are ~100× slower. */
const CPU_GMACS = 0.7;
/** Longest estimated iteration (seconds) the benchmark attempts. */
const MAX_ITERATION_SECONDS = 120;
/** The most memory a wasm module can address (wasm32); a run past it aborts the module for good. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** One case on one backend. */
export interface TrainBenchResult {
  /** Backend name. */
  backend: string;
  /** Case name (`ngf32-256x128`, …). */
  case: TrainCase;
  /** Median seconds per iteration, or null when skipped. */
  seconds: number | null;
  /** The first (warm-up) iteration's seconds, or null when skipped. */
  firstSeconds: number | null;
  /** PyTorch's seconds per iteration. */
  pytorchSeconds: number;
  /** ours / PyTorch (> 1: slower), or null when skipped. */
  ratio: number | null;
  /** GMAC/s (the reference's GMAC estimate over our time), or null when skipped. */
  gmacs: number | null;
  /** Our memory estimate for the case, in GiB, or null when the case failed before it. */
  memoryGiB: number | null;
  /** Why it was skipped, or null. */
  skipped: string | null;
}

function parseCase(name: TrainCase): { ngf: number; width: number; height: number } {
  const [, ngf, width, height] = /^ngf(\d+)-(\d+)x(\d+)$/.exec(name)!.map(Number);
  return { ngf, width, height };
}

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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timed(session: TrainingSession, batch: Batch): number {
  const start = performance.now();
  session.step(batch);
  return (performance.now() - start) / 1000;
}

async function benchCase(
  backend: string,
  name: TrainCase,
  reps: number,
  log: Logger,
): Promise<TrainBenchResult> {
  const ref = PYTORCH_TRAIN_REFERENCE[name];
  const { ngf, width, height } = parseCase(name);
  const opts = resolveTrainOptions({ label_nc: 35, ngf, num_D: 2, n_layers_D: 3, ndf: 64, seed: 0 });
  const vgg = Vgg19Features.fromStateDict(randomVgg19StateDict(0), "random VGG19");
  const session = await TrainingSession.create(opts, vgg);
  const count = (m: Map<string, tf.Variable>) => [...m.values()].reduce((n, v) => n + v.size, 0);
  const memory = estimateTrainingMemory(opts, {
    G: count(session.models.G.params()),
    D: count(session.models.D.params()),
  }, {
    height,
    width,
  }, backend);
  const base = { backend, case: name, pytorchSeconds: ref.seconds, memoryGiB: memory.total / 2 ** 30 };
  const estimate = (3 * ref.gmac) / CPU_GMACS;
  if (backend === "cpu" && estimate > MAX_ITERATION_SECONDS) {
    session.dispose();
    const skipped = `cpu ≈ ${CPU_GMACS} GMAC/s forward and far slower filter gradients: ≥ ${
      Math.round(estimate / 60)
    } min per iteration`;
    log.info(`bench train: ${backend} ${name} skipped (${skipped})`);
    return { ...base, seconds: null, firstSeconds: null, ratio: null, gmacs: null, skipped };
  }
  const heapBytes = memory.total - memory.offHeap;
  if ((backend === "wasm" || backend === "onednn") && heapBytes > WASM_HEAP_BYTES) {
    session.dispose();
    const skipped = `needs ≈ ${
      (heapBytes / 2 ** 30).toFixed(1)
    } GiB in the wasm heap, more than wasm's 4 GiB address space`;
    log.info(`bench train: ${backend} ${name} skipped (${skipped})`);
    return { ...base, seconds: null, firstSeconds: null, ratio: null, gmacs: null, skipped };
  }
  log.info(`bench train: ${backend} ${name}: ${formatMemoryEstimate(memory)}`);
  const batch = randomBatch(width, height);
  try {
    const firstSeconds = timed(session, batch);
    const warmups = backend === "onednn" ? 2 * TRIALS_PER_VARIANT - 1 : 0;
    for (let i = 0; i < warmups; i++) timed(session, batch);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(timed(session, batch));
    const seconds = median(times);
    log.info(
      `bench train: ${backend} ${name}: first ${firstSeconds.toFixed(2)} s, then ${
        times.map((t) => t.toFixed(2)).join(", ")
      } s`,
    );
    return {
      ...base,
      seconds,
      firstSeconds,
      ratio: seconds / ref.seconds,
      gmacs: ref.gmac / seconds,
      skipped: null,
    };
  } finally {
    tf.dispose([batch.input, batch.image]);
    session.dispose();
  }
}

function table(results: TrainBenchResult[]): string {
  const head = [
    "backend",
    "case",
    "ours s/it",
    "first it",
    "PyTorch s/it",
    "ours/PyTorch",
    "GMAC/s",
    "mem est GiB",
    "note",
  ];
  const rows = results.map((r) => [
    r.backend,
    r.case,
    r.seconds === null ? "-" : r.seconds.toFixed(2),
    r.firstSeconds === null ? "-" : r.firstSeconds.toFixed(2),
    r.pytorchSeconds.toFixed(2),
    r.ratio === null ? "-" : `${r.ratio.toFixed(2)}×`,
    r.gmacs === null ? "-" : r.gmacs.toFixed(1),
    r.memoryGiB === null ? "-" : r.memoryGiB.toFixed(2),
    r.skipped ? `skipped: ${r.skipped}` : "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows].map((row) => row.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/**
 * Benchmarks training iterations on each backend that loads and prints a table (or JSON) with the
 * PyTorch reference and the ratio.
 *
 * @param opts `backends`: names to try in order ("wasm", "onednn", "cpu", …); `json`: JSON instead of
 *   a table; `profile`: also print where an iteration's time goes (bench/profile.ts, ngf 32 at
 *   256×128) on each cpu/wasm/onednn backend; `cases`: only these cases; `reps`: timed iterations
 *   after the warm-up (default 3)
 * @returns one result per backend and case
 */
export async function benchTrain(
  opts: { backends: string[]; json: boolean; profile?: boolean; cases?: string[]; reps?: number },
): Promise<TrainBenchResult[]> {
  const log = createLogger();
  const names = (Object.keys(PYTORCH_TRAIN_REFERENCE) as TrainCase[]).filter((c) =>
    !opts.cases || opts.cases.includes(c)
  );
  const results: TrainBenchResult[] = [];
  for (const backend of opts.backends) {
    try {
      await selectBackend(backend);
    } catch (error) {
      log.warn(`bench train: ${(error as Error).message}; skipped`);
      continue;
    }
    for (const name of names) {
      try {
        results.push(await benchCase(backend, name, opts.reps ?? 3, log));
      } catch (error) {
        const skipped = `failed: ${(error as Error).message.split("\n")[0]}`;
        log.warn(`bench train: ${backend} ${name} ${skipped}`);
        const ref = PYTORCH_TRAIN_REFERENCE[name];
        results.push({
          backend,
          case: name,
          seconds: null,
          firstSeconds: null,
          pytorchSeconds: ref.seconds,
          ratio: null,
          gmacs: null,
          memoryGiB: null,
          skipped,
        });
      }
    }
    if (opts.profile && (backend === "cpu" || backend === "wasm" || backend === "onednn")) {
      await profileTrainStep({
        backend,
        json: opts.json,
        steps: 1,
        ...(backend === "onednn" ? {} : { warmup: 1 }),
      });
    }
  }
  console.log(opts.json ? JSON.stringify(results, null, 2) : table(results));
  return results;
}

if (import.meta.main) {
  const value = (flag: string) => {
    const at = Deno.args.indexOf(flag);
    return at >= 0 ? Deno.args[at + 1] : undefined;
  };
  await benchTrain({
    backends: value("--backends")?.split(",") ?? ["wasm", "cpu"],
    json: Deno.args.includes("--json"),
    profile: Deno.args.includes("--profile"),
    cases: value("--cases")?.split(","),
    reps: value("--reps") ? Number(value("--reps")) : undefined,
  });
}
