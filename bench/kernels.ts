/**
 * Conv kernel benchmark: forward and forward+backward time and GMAC/s of the conv shapes of
 * pix2pixHD's global generator (256×128 input, ngf 64), per backend.
 *
 * Run: `deno run -A bench/kernels.ts [--json] [--backends wasm,cpu]`
 *
 * @module
 */
import { selectBackend } from "../backends/select.ts";
import { tf } from "../backends/tf.ts";
import "../backends/wasm/mod.ts";
import { createLogger } from "../kernel/log.ts";
import { TUNING_CALLS } from "../backends/onednn/conv_primitive.ts";

/** One benchmarked conv. */
interface ConvCase {
  /** What the conv is in the generator. */
  name: string;
  /** The conv input (for the transposed conv: its input, the low-resolution side). */
  input: [number, number, number, number];
  /** The filter `[kh, kw, in, out]` (conv2dTranspose: `[kh, kw, out, in]`). */
  filter: [number, number, number, number];
  /** Stride. */
  stride: number;
  /** Zero padding (numeric pad 1 is PyTorch's padding 1). */
  pad: "valid" | number;
  /** For conv2dTranspose: the output shape. */
  transposeTo?: [number, number, number, number];
}

/** The timing of one conv on one backend. */
export interface KernelBenchResult {
  /** Backend name. */
  backend: string;
  /** Conv name. */
  conv: string;
  /** Multiply-accumulates of the forward pass. */
  macs: number;
  /** Mean forward time in ms. */
  forwardMs: number;
  /** Mean forward+backward (dx and dw) time in ms. */
  forwardBackwardMs: number;
  /** Forward GMAC/s. */
  forwardGmacs: number;
  /** Forward+backward GMAC/s, counting 3× the forward MACs. */
  forwardBackwardGmacs: number;
  /** Timed repetitions. */
  reps: number;
}

const CASES: ConvCase[] = [
  {
    name: "conv7x7 s1 36→64 @256×128",
    input: [1, 134, 262, 36],
    filter: [7, 7, 36, 64],
    stride: 1,
    pad: "valid",
  },
  {
    name: "conv3x3 s2 64→128 @256×128",
    input: [1, 128, 256, 64],
    filter: [3, 3, 64, 128],
    stride: 2,
    pad: 1,
  },
  {
    name: "conv3x3 s1 1024→1024 @16×8",
    input: [1, 10, 18, 1024],
    filter: [3, 3, 1024, 1024],
    stride: 1,
    pad: "valid",
  },
  {
    name: "convT3x3 s2 128→64 →256×128",
    input: [1, 64, 128, 128],
    filter: [3, 3, 64, 128],
    stride: 2,
    pad: 1,
    transposeTo: [1, 128, 256, 64],
  },
];

/**
 * The same convs at a quarter of the height and width, for the cpu backend: its gradient kernels run at
 * ~0.015 GMAC/s, so the full sizes would take half an hour.
 */
const SMALL_CASES: ConvCase[] = [
  {
    name: "conv7x7 s1 36→64 @64×32",
    input: [1, 38, 70, 36],
    filter: [7, 7, 36, 64],
    stride: 1,
    pad: "valid",
  },
  { name: "conv3x3 s2 64→128 @64×32", input: [1, 32, 64, 64], filter: [3, 3, 64, 128], stride: 2, pad: 1 },
  {
    name: "conv3x3 s1 1024→1024 @4×2",
    input: [1, 4, 6, 1024],
    filter: [3, 3, 1024, 1024],
    stride: 1,
    pad: "valid",
  },
  {
    name: "convT3x3 s2 128→64 →64×32",
    input: [1, 16, 32, 128],
    filter: [3, 3, 64, 128],
    stride: 2,
    pad: 1,
    transposeTo: [1, 32, 64, 64],
  },
];

/** Timed repetitions per backend, after the warm-up runs. */
const REPS: Record<string, number> = { wasm: 3, onednn: 3, cpu: 1 };

/**
 * Untimed runs first: none on the slow cpu backend; on oneDNN, those in which each convolution times
 * its candidate kernels (conv_primitive.ts); else one.
 */
function warmUpRuns(backend: string): number {
  return backend === "cpu" ? 0 : backend === "onednn" ? TUNING_CALLS : 1;
}

function run(c: ConvCase, x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return c.transposeTo
    ? tf.conv2dTranspose(x, w, c.transposeTo, c.stride, c.pad)
    : tf.conv2d(x, w, c.stride, c.pad);
}

function forwardMacs(c: ConvCase): number {
  const [n, h, w] = c.input;
  const [kh, kw, ci, co] = c.filter;
  if (c.transposeTo) return n * h * w * kh * kw * ci * co;
  const pad = c.pad === "valid" ? 0 : c.pad;
  const ho = Math.floor((h + 2 * pad - kh) / c.stride) + 1;
  const wo = Math.floor((w + 2 * pad - kw) / c.stride) + 1;
  return n * ho * wo * kh * kw * ci * co;
}

async function timeMs(reps: number, warmUps: number, f: () => tf.Tensor[]): Promise<number> {
  for (let i = 0; i < warmUps; i++) {
    const out = f();
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
  }
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const out = f();
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
  }
  return (performance.now() - start) / reps;
}

async function benchCase(backend: string, c: ConvCase): Promise<KernelBenchResult> {
  const reps = REPS[backend] ?? 1;
  const warmUps = warmUpRuns(backend);
  const x = tf.randomNormal(c.input) as tf.Tensor4D;
  const w = tf.mul(tf.randomNormal(c.filter), 0.02) as tf.Tensor4D;
  const dy = tf.tidy(() => tf.randomNormal(run(c, x, w).shape));
  const gradients = tf.grads((a, b) => run(c, a as tf.Tensor4D, b as tf.Tensor4D));
  const forwardMs = await timeMs(reps, warmUps, () => [run(c, x, w)]);
  const forwardBackwardMs = await timeMs(reps, warmUps, () => gradients([x, w], dy));
  tf.dispose([x, w, dy]);
  const macs = forwardMacs(c);
  return {
    backend,
    conv: c.name,
    macs,
    forwardMs,
    forwardBackwardMs,
    forwardGmacs: macs / forwardMs / 1e6,
    forwardBackwardGmacs: (3 * macs) / forwardBackwardMs / 1e6,
    reps,
  };
}

function table(results: KernelBenchResult[]): string {
  const head = ["backend", "conv", "GMAC", "fwd ms", "fwd GMAC/s", "fwd+bwd ms", "f+b GMAC/s", "f+b/fwd"];
  const rows = results.map((r) => [
    r.backend,
    r.conv,
    (r.macs / 1e9).toFixed(2),
    r.forwardMs.toFixed(1),
    r.forwardGmacs.toFixed(2),
    r.forwardBackwardMs.toFixed(1),
    r.forwardBackwardGmacs.toFixed(2),
    (r.forwardBackwardMs / r.forwardMs).toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows].map((row) => row.map((v, i) => v.padEnd(widths[i])).join("  ")).join("\n");
}

/**
 * Benchmarks the generator's conv shapes on each backend that loads and prints a table (or JSON).
 * The cpu backend runs them at a quarter of the height and width (see the conv names).
 *
 * @param opts `backends`: backend names to try in order ("wasm", "cpu"); `json`: print JSON instead
 *   of a table
 * @returns the measurements, one per backend and conv
 */
export async function benchKernels(
  opts: { backends: string[]; json: boolean },
): Promise<KernelBenchResult[]> {
  const log = createLogger();
  const results: KernelBenchResult[] = [];
  for (const backend of opts.backends) {
    try {
      await selectBackend(backend);
    } catch (error) {
      log.warn(`bench kernels: ${(error as Error).message}; skipped`);
      continue;
    }
    for (const c of backend === "cpu" ? SMALL_CASES : CASES) {
      const result = await benchCase(backend, c);
      log.info(
        `bench kernels: ${backend} ${c.name}: fwd ${result.forwardMs.toFixed(1)} ms, ` +
          `fwd+bwd ${result.forwardBackwardMs.toFixed(1)} ms`,
      );
      results.push(result);
    }
  }
  console.log(opts.json ? JSON.stringify(results, null, 2) : table(results));
  return results;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--backends");
  const backends = at >= 0 ? Deno.args[at + 1].split(",") : ["wasm", "cpu"];
  await benchKernels({ backends, json: Deno.args.includes("--json") });
}
