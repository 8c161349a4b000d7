/**
 * Network benchmark: inference (forward) time and peak memory of the official 512p generator (global,
 * ngf 64) at 512×256 and 1024×512 and of the official 1024p local enhancer (ngf 32, one enhancer) at
 * 1024×512 and 2048×1024, 36 input channels, batch 1, per backend; beside the official PyTorch code
 * when `--peer pytorch` is given, else against its dated figures (bench/cases.ts). Each case runs in
 * a process of its own (bench/one_case.ts): one warm-up run (on oneDNN also its kernel tuning), then the
 * median of `reps`. The backend `onnxruntime` times the onnxruntime runtime instead (the generator
 * exported in memory to ONNX, intra-op threads = cores), as `synth --runtime onnxruntime` runs it: the
 * same NHWC tensors in and out, its NCHW transposes (on tfjs's wasm backend) included.
 *
 * Run: `deno task bench nets [--json] [--backends onednn,wasm,onnxruntime] [--cases local-2048x1024,…]
 * [--quick] [--peer pytorch --official_repo DIR]`
 *
 * @module
 */
import { TUNING_CALLS } from "../backends/onednn/conv_primitive.ts";
import { activeBackendName } from "../backends/select.ts";
import { tf } from "../backends/tf.ts";
import type { Logger } from "../kernel/log.ts";
import { GlobalGenerator } from "../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../plugins/networks/local_enhancer.ts";
import { OnnxGenerator } from "../plugins/inference/onnx_generator.ts";
import type { RuntimeName } from "../plugins/inference/runtime_options.ts";
import {
  type BenchCase,
  type CaseTiming,
  estimateGmac,
  type ForwardCase,
  parseForwardCase,
} from "./cases.ts";
import { runSideBySide, type SideBySideOptions, type SideBySideReport } from "./side_by_side.ts";

/** Forward throughput assumed for the cpu backend, to skip runs of minutes. */
const CPU_GMACS = 0.7;
/** Longest estimated run (seconds) the benchmark attempts. */
const MAX_RUN_SECONDS = 60;

/** A forward pass: `[1, H, W, 36]` → `[1, H, W, 3]`, the input not disposed. */
type Forward = (x: tf.Tensor4D) => tf.Tensor4D | Promise<tf.Tensor4D>;

async function forwardSeconds(forward: Forward, x: tf.Tensor4D): Promise<number> {
  const start = performance.now();
  const y = await forward(x);
  // one value waits for the whole pass on every backend; reading all would leave a 24 MiB array per
  // run to the garbage collector, in the peak RSS
  const corner = tf.slice(y, [0, 0, 0, 0], [1, 1, 1, 1]);
  await corner.data();
  tf.dispose([corner, y]);
  return (performance.now() - start) / 1000;
}

/** Bytes of random values drawn per band of {@link uniformInput}. */
const INPUT_BAND_BYTES = 16 * 2 ** 20;

/**
 * A uniform random input in [0, 1), drawn in bands of rows: TensorFlow.js draws random values into a
 * JavaScript array that becomes garbage once copied to the backend, and one array of 0.3 GB (36
 * channels at 2048×1024) was still uncollected at the forward pass's peak, counted in its peak RSS;
 * small ones are collected as the next are drawn. The PyTorch peer's `torch.rand` leaves none.
 *
 * @param shape `[batch, height, width, channels]`
 * @returns the input
 */
function uniformInput(shape: [number, number, number, number]): tf.Tensor4D {
  const [n, h, w, c] = shape;
  const rows = Math.max(1, Math.floor(INPUT_BAND_BYTES / (4 * n * w * c)));
  return tf.tidy(() => {
    const bands: tf.Tensor4D[] = [];
    for (let r = 0; r < h; r += rows) bands.push(tf.randomUniform([n, Math.min(rows, h - r), w, c], 0, 1));
    return tf.concat(bands, 1);
  });
}

/** The network in an onnxruntime session; its tfjs weights are freed (the session holds a copy). */
async function onnxSession(net: GlobalGenerator | LocalEnhancer, threads: number, name: string) {
  try {
    return await OnnxGenerator.open(net, { threads, file: name });
  } finally {
    net.dispose();
  }
}

/**
 * Times one forward case on the current backend, in this process: builds the generator, one warm-up
 * run (on oneDNN, then the rest of its kernel tuning), then `reps` timed runs. On the onnxruntime
 * runtime the generator's weights are exported to an onnxruntime session (with `threads` intra-op
 * threads) and freed on tfjs before the runs.
 *
 * @param c the case
 * @param reps timed runs
 * @param log where progress goes
 * @param runtime what runs the generator (default: tfjs on the current backend), and onnxruntime's threads
 * @returns the median, every run and the warm-up's seconds
 */
export async function measureForward(
  c: ForwardCase,
  reps: number,
  log: Logger,
  runtime: { runtime: RuntimeName; threads: number } = { runtime: "tfjs", threads: 1 },
): Promise<CaseTiming> {
  log.info(`bench nets: ${c.name}: building the ${c.netG} generator (ngf ${c.ngf}) for ${runtime.runtime}`);
  const net = c.netG === "global"
    ? new GlobalGenerator({ input_nc: 36, ngf: c.ngf })
    : new LocalEnhancer({ input_nc: 36, ngf: c.ngf, n_local_enhancers: 1 });
  const onnx = runtime.runtime === "onnxruntime" ? await onnxSession(net, runtime.threads, c.name) : null;
  const forward: Forward = onnx ? (x) => onnx.apply(x) : (x) => net.apply(x);
  const x = uniformInput([1, c.height, c.width, 36]);
  try {
    const firstSeconds = await forwardSeconds(forward, x);
    // oneDNN times its candidate kernels on the first calls of each convolution (conv_primitive.ts):
    // finish that before timing, as bench train does.
    const tuning = activeBackendName() === "onednn" ? TUNING_CALLS - 1 : 0;
    for (let i = 0; i < tuning; i++) await forwardSeconds(forward, x);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await forwardSeconds(forward, x));
    log.info(`bench nets: ${c.name}: ${times.map((t) => t.toFixed(2)).join(", ")} s`);
    const sorted = [...times].sort((a, b) => a - b);
    return { seconds: sorted[Math.floor(sorted.length / 2)], times, firstSeconds };
  } finally {
    x.dispose();
    if (onnx) await onnx.release();
    else net.dispose();
  }
}

function skipForward(c: BenchCase, backend: string): string | null {
  const estimate = estimateGmac(c) / CPU_GMACS;
  if (backend !== "cpu" || estimate <= MAX_RUN_SECONDS) return null;
  return `cpu ≈ ${CPU_GMACS} GMAC/s: ≈ ${Math.round(estimate / 60)} min per run`;
}

/**
 * Benchmarks the generators' forward pass, case by case: ours on each backend that loads, then the
 * PyTorch peer's when there is one.
 *
 * @param opts `cases`: case names (bench/cases.ts); `backends`: backend names in order; `reps`: timed
 *   runs; `peer`: the PyTorch peer or null
 * @returns the report (bench/side_by_side.ts `formatReport` prints it)
 */
export async function benchNets(
  opts: Omit<SideBySideOptions, "kind" | "cases" | "skip"> & { cases: string[] },
): Promise<SideBySideReport> {
  return await runSideBySide({
    ...opts,
    kind: "nets",
    cases: opts.cases.map(parseForwardCase),
    skip: skipForward,
  });
}
