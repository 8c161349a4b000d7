/**
 * Network benchmark: inference (forward) time and peak memory of the official 512p generator (global,
 * ngf 64) at 512×256 and 1024×512 and of the official 1024p local enhancer (ngf 32, one enhancer) at
 * 1024×512 and 2048×1024, 36 input channels, batch 1, per backend; beside the official PyTorch code
 * when `--peer pytorch` is given, else against its dated figures (bench/cases.ts). Each case runs in
 * a process of its own (bench/one_case.ts): one warm-up run (on oneDNN also its kernel tuning), then the
 * median of `reps`.
 *
 * Run: `deno task bench nets [--json] [--backends onednn,wasm] [--cases local-2048x1024,…] [--quick]
 * [--peer pytorch --official_repo DIR]`
 *
 * @module
 */
import { TUNING_CALLS } from "../backends/onednn/conv_primitive.ts";
import { activeBackendName } from "../backends/select.ts";
import { tf } from "../backends/tf.ts";
import type { Logger } from "../kernel/log.ts";
import { GlobalGenerator } from "../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../plugins/networks/local_enhancer.ts";
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

async function forwardSeconds(net: { apply(x: tf.Tensor4D): tf.Tensor4D }, x: tf.Tensor4D): Promise<number> {
  const start = performance.now();
  const y = net.apply(x);
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

/**
 * Times one forward case on the current backend, in this process: builds the generator, one warm-up
 * run (on oneDNN, then the rest of its kernel tuning), then `reps` timed runs.
 *
 * @param c the case
 * @param reps timed runs
 * @param log where progress goes
 * @returns the median, every run and the warm-up's seconds
 */
export async function measureForward(c: ForwardCase, reps: number, log: Logger): Promise<CaseTiming> {
  log.info(`bench nets: ${c.name}: building the ${c.netG} generator (ngf ${c.ngf})`);
  const net = c.netG === "global"
    ? new GlobalGenerator({ input_nc: 36, ngf: c.ngf })
    : new LocalEnhancer({ input_nc: 36, ngf: c.ngf, n_local_enhancers: 1 });
  const x = uniformInput([1, c.height, c.width, 36]);
  try {
    const firstSeconds = await forwardSeconds(net, x);
    // oneDNN times its candidate kernels on the first calls of each convolution (conv_primitive.ts):
    // finish that before timing, as bench train does.
    const tuning = activeBackendName() === "onednn" ? TUNING_CALLS - 1 : 0;
    for (let i = 0; i < tuning; i++) await forwardSeconds(net, x);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await forwardSeconds(net, x));
    log.info(`bench nets: ${c.name}: ${times.map((t) => t.toFixed(2)).join(", ")} s`);
    const sorted = [...times].sort((a, b) => a - b);
    return { seconds: sorted[Math.floor(sorted.length / 2)], times, firstSeconds };
  } finally {
    x.dispose();
    net.dispose();
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
