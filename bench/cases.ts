/**
 * The cases of `bench nets` and `bench train`, by name, and the dated PyTorch figures the bench
 * compares with when no peer runs beside it.
 *
 * Names say what runs: `global-512x256` (the official 512p generator: global, ngf 64), `local-2048x1024`
 * (the official 1024p generator: local enhancer, ngf 32, one enhancer), `global-ngf32-256x128` (another
 * ngf); `ngf32-256x128` is a training iteration of a global generator with ngf 32 at 256×128. Every
 * case has 36 input channels (35 labels + the instance boundary), n_downsample_global 4, 9 blocks.
 *
 * @module
 */

/** A forward (inference) case of `bench nets`. */
export interface ForwardCase {
  kind: "forward";
  /** Its name, as typed after `--cases`. */
  name: string;
  /** Which generator. */
  netG: "global" | "local";
  /** Generator filters of the first layer (of the enhancer, for `local`). */
  ngf: number;
  /** Input width in pixels. */
  width: number;
  /** Input height in pixels. */
  height: number;
}

/** A training-iteration case of `bench train` (global generator, 2 discriminators, VGG loss). */
export interface TrainCase {
  kind: "train";
  /** Its name, as typed after `--cases`. */
  name: string;
  /** Generator filters of the first layer. */
  ngf: number;
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
}

/** What timing one case gives, on either side. */
export interface CaseTiming {
  /** Median seconds of the timed runs. */
  seconds: number;
  /** Every timed run's seconds. */
  times: number[];
  /** The first (warm-up) run's seconds. */
  firstSeconds: number;
}

/** Any benchmark case. */
export type BenchCase = ForwardCase | TrainCase;

/** `bench nets`'s cases by default: the official 512p and 1024p generators at their sizes. */
export const NET_CASES = ["global-512x256", "global-1024x512", "local-1024x512", "local-2048x1024"];
/** `bench nets --quick`: the smallest case of each generator. */
export const NET_QUICK_CASES = ["global-256x128", "local-512x256"];
/** `bench train`'s cases by default. */
export const TRAIN_CASES = ["ngf32-256x128", "ngf32-512x256", "ngf64-256x128", "ngf64-512x256"];
/** `bench train --quick`: the smallest case. */
export const TRAIN_QUICK_CASES = ["ngf32-256x128"];

/** Default ngf of each generator: the official 512p (global) and 1024p (local) models. */
const DEFAULT_NGF = { global: 64, local: 32 } as const;

/** The multiple both sides must be of, for each generator (2^4 downsamplings, ×2 per enhancer). */
export const SIDE_MULTIPLE = { global: 16, local: 32 } as const;

function checkSides(name: string, width: number, height: number, multiple: number): void {
  if (width % multiple || height % multiple || width === 0 || height === 0) {
    throw new RangeError(`case "${name}": ${width}×${height} must be positive multiples of ${multiple}`);
  }
}

/**
 * Reads a `bench nets` case name.
 *
 * @param name `global-512x256`, `local-2048x1024`, `global-ngf32-256x128`, …
 * @returns the case
 * @throws {RangeError} naming the case when the name has another form or a side is not a multiple of
 *   16 (global) or 32 (local)
 */
export function parseForwardCase(name: string): ForwardCase {
  const m = /^(global|local)(?:-ngf(\d+))?-(\d+)x(\d+)$/.exec(name);
  if (!m) {
    throw new RangeError(
      `case "${name}": expected global|local[-ngfN]-WxH, e.g. ${NET_CASES.join(", ")}`,
    );
  }
  const netG = m[1] as "global" | "local";
  const [ngf, width, height] = [m[2] ? Number(m[2]) : DEFAULT_NGF[netG], Number(m[3]), Number(m[4])];
  if (ngf < 1) throw new RangeError(`case "${name}": ngf must be ≥ 1`);
  checkSides(name, width, height, SIDE_MULTIPLE[netG]);
  return { kind: "forward", name, netG, ngf, width, height };
}

/**
 * Reads a `bench train` case name.
 *
 * @param name `ngf32-256x128`, …
 * @returns the case
 * @throws {RangeError} naming the case when the name has another form or a side is not a multiple of 16
 */
export function parseTrainCase(name: string): TrainCase {
  const m = /^ngf(\d+)-(\d+)x(\d+)$/.exec(name);
  if (!m) throw new RangeError(`case "${name}": expected ngfN-WxH, e.g. ${TRAIN_CASES.join(", ")}`);
  const [ngf, width, height] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ngf < 1) throw new RangeError(`case "${name}": ngf must be ≥ 1`);
  checkSides(name, width, height, SIDE_MULTIPLE.global);
  return { kind: "train", name, ngf, width, height };
}

/** A case in words, for tables and logs. */
export function describeCase(c: BenchCase): string {
  const size = `${c.width}×${c.height}`;
  if (c.kind === "train") return `train global ngf ${c.ngf} + 2 D + VGG, ${size}`;
  return c.netG === "global"
    ? `global generator ngf ${c.ngf}, ${size}`
    : `local enhancer ngf ${c.ngf} (1 enhancer), ${size}`;
}

/**
 * Conv GMAC of one run of a case. The generators' are exact (MACs per pixel of the global generator
 * with 4 downsamplings and 9 blocks: 198·ngf² + 1911·ngf; of the local enhancer with one enhancer of 3
 * blocks on it: 261·ngf² + 2793·ngf, matching the official code's counts: 122.3 GMAC for global ngf 64
 * at 512×256, 187.0 for local ngf 32 at 1024×512). A training iteration is estimated as 3× the
 * generator's forward plus 61 GMAC per 256×128 for the two discriminators and VGG19 (within 3 % of the
 * official counts at 256×128 and 512×256). For GMAC/s and run-time estimates.
 */
export function estimateGmac(c: BenchCase): number {
  const pixels = c.width * c.height;
  const global = (ngf: number) => (198 * ngf * ngf + 1911 * ngf) * pixels / 1e9;
  if (c.kind === "train") return 3 * global(c.ngf) + (61.06 / (256 * 128)) * pixels;
  if (c.netG === "global") return global(c.ngf);
  return (261 * c.ngf * c.ngf + 2793 * c.ngf) * pixels / 1e9;
}

/** PyTorch's figures from one dated side-by-side run, for when no peer runs beside ours. */
export interface DatedReference {
  /** When it was measured (ISO date). */
  date: string;
  /** What was measured where, in words. */
  where: string;
  /** Median seconds per case name. */
  seconds: Readonly<Record<string, number>>;
}

/**
 * The official code's median seconds measured side by side with ours on 2026-12-03, 07:17–07:51 (NVIDIA/pix2pixHD
 * 14b3b3c with CPU shims, PyTorch 1.13.1, float32, batch 1, 2 threads, on a 2-core AMD EPYC with
 * AVX-512, `bench nets|train --peer pytorch`). Another machine gives other figures: only a ratio measured in one run means much.
 */
export const PYTORCH_REFERENCE: DatedReference = {
  date: "2026-12-03",
  where: "official pix2pixHD on PyTorch 1.13.1, 2 threads, 2-core AMD EPYC (AVX-512), side by side with ours",
  seconds: {
    "global-512x256": 1.26,
    "global-1024x512": 4.86,
    "local-1024x512": 2.19,
    "local-2048x1024": 14.07,
    "ngf32-256x128": 1.08,
    "ngf32-512x256": 3.26,
    "ngf64-256x128": 3.78,
    "ngf64-512x256": 7.63,
  },
};

/** The benches whose cases run here. */
export type BenchKind = "nets" | "train";
