/**
 * Network benchmark: inference (forward) time of the official 512p generator (global, ngf 64,
 * 36 input channels) at 512×256 and 1024×512 and of the official 1024p local enhancer (ngf 32, one
 * enhancer) at 1024×512, per backend, against the official PyTorch code on this project's CPU.
 * One warm-up run, then the median of 3.
 *
 * Run: `deno run -A bench/nets.ts [--json] [--backends wasm,cpu] [--cases global-512x256,…]`
 *
 * @module
 */
import { tf } from "../kernel/tf.ts";
import { selectBackend } from "../kernel/backend.ts";
import { createLogger } from "../kernel/log.ts";
import { GlobalGenerator } from "../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../plugins/networks/local_enhancer.ts";

/**
 * PyTorch's forward times, copied from /work/shared/reference-figures.md ("Reference figures: the
 * official PyTorch code on this project's CPU": NVIDIA/pix2pixHD 14b3b3c, PyTorch 1.13.1, float32,
 * batch 1, 2 threads, 2-core AMD EPYC with AVX2/FMA; one warm-up, median of 5; spread ±10–20 %).
 */
export const PYTORCH_REFERENCE = {
  "global-512x256": { seconds: 2.74, gmac: 122.3, params: "182.5 M" },
  "global-1024x512": { seconds: 9.73, gmac: 489.3, params: "182.5 M" },
  "local-1024x512": { seconds: 5.33, gmac: 187.0, params: "182.9 M" },
} as const;

/** A benchmark case. */
type CaseName = keyof typeof PYTORCH_REFERENCE;

interface NetCase {
  name: CaseName;
  /** What runs, in words. */
  what: string;
  /** Input [1, h, w, 36]. */
  input: [number, number, number, number];
  build(): { apply(x: tf.Tensor4D): tf.Tensor4D; dispose(): void };
}

const CASES: NetCase[] = [
  {
    name: "global-512x256",
    what: "global generator ngf 64, 512×256",
    input: [1, 256, 512, 36],
    build: () => new GlobalGenerator({ input_nc: 36, ngf: 64 }),
  },
  {
    name: "global-1024x512",
    what: "global generator ngf 64, 1024×512",
    input: [1, 512, 1024, 36],
    build: () => new GlobalGenerator({ input_nc: 36, ngf: 64 }),
  },
  {
    name: "local-1024x512",
    what: "local enhancer ngf 32 (1 enhancer), 1024×512",
    input: [1, 512, 1024, 36],
    build: () => new LocalEnhancer({ input_nc: 36, ngf: 32, n_local_enhancers: 1 }),
  },
];

/** Forward throughput assumed for the cpu backend (reference-figures.md), to skip runs of minutes. */
const CPU_GMACS = 0.7;
/** Longest estimated run (seconds) the benchmark attempts. */
const MAX_RUN_SECONDS = 60;

/** The result of one case on one backend. */
export interface NetBenchResult {
  /** Backend name. */
  backend: string;
  /** Case name (`global-512x256`, …). */
  case: string;
  /** What runs, in words. */
  what: string;
  /** Median forward time in seconds, or null when skipped. */
  seconds: number | null;
  /** PyTorch's time for the same case (reference figures). */
  pytorchSeconds: number;
  /** ours / PyTorch (> 1: slower), or null when skipped. */
  ratio: number | null;
  /** Forward GMAC/s (the reference's exact MAC count over our time), or null when skipped. */
  gmacs: number | null;
  /** Why it was skipped, or null. */
  skipped: string | null;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function forwardSeconds(net: { apply(x: tf.Tensor4D): tf.Tensor4D }, x: tf.Tensor4D): Promise<number> {
  const start = performance.now();
  const y = net.apply(x);
  await y.data();
  y.dispose();
  return (performance.now() - start) / 1000;
}

async function benchCase(
  backend: string,
  c: NetCase,
  log: ReturnType<typeof createLogger>,
): Promise<NetBenchResult> {
  const ref = PYTORCH_REFERENCE[c.name];
  const base = { backend, case: c.name, what: c.what, pytorchSeconds: ref.seconds };
  const estimate = ref.gmac / CPU_GMACS;
  if (backend === "cpu" && estimate > MAX_RUN_SECONDS) {
    const skipped = `cpu ≈ ${CPU_GMACS} GMAC/s: ≈ ${Math.round(estimate / 60)} min per run, 4 runs`;
    log.info(`bench nets: ${backend} ${c.name} skipped (${skipped})`);
    return { ...base, seconds: null, ratio: null, gmacs: null, skipped };
  }
  log.info(`bench nets: ${backend} ${c.name}: building (${ref.params} parameters)`);
  const net = c.build();
  const x = tf.randomUniform(c.input, 0, 1) as tf.Tensor4D;
  try {
    await forwardSeconds(net, x);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push(await forwardSeconds(net, x));
    const seconds = median(times);
    log.info(`bench nets: ${backend} ${c.name}: ${times.map((t) => t.toFixed(2)).join(", ")} s`);
    return { ...base, seconds, ratio: seconds / ref.seconds, gmacs: ref.gmac / seconds, skipped: null };
  } finally {
    x.dispose();
    net.dispose();
  }
}

function table(results: NetBenchResult[]): string {
  const head = ["backend", "case", "ours s", "PyTorch s", "ours/PyTorch", "GMAC/s", "note"];
  const rows = results.map((r) => [
    r.backend,
    r.what,
    r.seconds === null ? "-" : r.seconds.toFixed(2),
    r.pytorchSeconds.toFixed(2),
    r.ratio === null ? "-" : `${r.ratio.toFixed(2)}×`,
    r.gmacs === null ? "-" : r.gmacs.toFixed(1),
    r.skipped ? `skipped: ${r.skipped}` : "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows].map((row) => row.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/**
 * Benchmarks the official generators' forward pass on each backend that loads and prints a table
 * (or JSON) with the PyTorch reference and the ratio.
 *
 * @param opts `backends`: backend names to try in order ("wasm", "cpu", "webgpu", "onednn", …);
 *   `json`: print JSON instead of a table; `cases`: only these cases (default all)
 * @returns the measurements, one per backend and case
 */
export async function benchNets(
  opts: { backends: string[]; json: boolean; cases?: string[] },
): Promise<NetBenchResult[]> {
  const log = createLogger();
  const cases = opts.cases ? CASES.filter((c) => opts.cases!.includes(c.name)) : CASES;
  const results: NetBenchResult[] = [];
  for (const backend of opts.backends) {
    try {
      await selectBackend(backend);
    } catch (error) {
      log.warn(`bench nets: ${(error as Error).message}; skipped`);
      continue;
    }
    for (const c of cases) results.push(await benchCase(backend, c, log));
  }
  console.log(opts.json ? JSON.stringify(results, null, 2) : table(results));
  return results;
}

if (import.meta.main) {
  const value = (flag: string) => {
    const at = Deno.args.indexOf(flag);
    return at >= 0 ? Deno.args[at + 1]?.split(",") : undefined;
  };
  await benchNets({
    backends: value("--backends") ?? ["wasm", "cpu"],
    json: Deno.args.includes("--json"),
    cases: value("--cases"),
  });
}
