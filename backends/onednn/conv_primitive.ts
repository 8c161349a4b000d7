/**
 * A convolution pass for one geometry that picks its fastest oneDNN variant by timing real calls.
 *
 * oneDNN's fastest kernels (`brgconv`, `jit`) want a blocked filter layout, so each call converts the
 * TensorFlow.js filter (a reorder): cheap for small filters, but for 512×512×3×3 filters the reorder
 * costs more than the convolution. The `gemm` kernels use the `hwio` filter in place. A third
 * candidate also lets oneDNN choose the activations' layout (blocked by 16 channels), reordering x/dy
 * in and the result out on each call. oneDNN's forward `brgconv` keeps NHWC, so this is a backward
 * candidate; it wins on some layers: in training at ngf 32, 256×128, D's 256→512 4×4 backward-weights
 * pass 7.9 → 6.3 ms, VGG's 256-channel backward-data pass at 64×32 7.0 → 5.6 ms. It is offered only
 * where x and y are small (≤ {@link BLOCKED_ACTIVATIONS_MAX_BYTES} each), as its workspace holds both.
 * G's 512-channel residual convolutions at 16×8 lose with the blocked kernels (the filter reorder of
 * cold weights, 1.4 ms, costs more than they save) and run `gemm` at 123–172 GMAC/s; a fourth,
 * backward-only candidate runs the pass as one oneDNN matmul over the patches (conv_matmul.ts): in
 * training at ngf 32, 256×128, their backward-data passes 44 → 25 ms a step, backward-weights
 * 35 → 23 ms, plus 5 ms of patch copies. The first calls take turns between the candidates and keep the fastest. Each
 * candidate's first call goes untimed: it pays for the first touch of its workspace (the reordered
 * filter: 9.4 MiB for 512×512×3×3) and for cold caches, which made the reordering kernels lose trials
 * they win from then on. oneDNN's reference (`ref:`) kernels are scalar loops, 100–1000× slower: never
 * a candidate when another is.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import type { ConvSpec } from "./conv_desc.ts";
import { type ConvVariant, createConvVariant } from "./conv_variant.ts";
import { createMatmulConvVariant, matmulConvFits } from "./conv_matmul.ts";
import { DNNL } from "./ffi.ts";
import type { DnnlContext } from "./native.ts";
import type { ReadyPrimitive } from "./owned.ts";

/** Untimed calls per candidate variant before its timed ones (first touch, cold caches). */
export const WARMUP_CALLS_PER_VARIANT = 1;
/** Timed calls per candidate variant before the faster one is kept (the best of them counts). */
export const TRIALS_PER_VARIANT = 2;
/**
 * The most candidates a convolution tries: filter reordered or in place, activations reordered, and
 * for a backward pass a matrix product over its patches (conv_matmul.ts).
 */
export const MAX_CANDIDATES = 4;
/** Calls a convolution spends choosing among its candidates, at most. */
export const TUNING_CALLS = MAX_CANDIDATES * (WARMUP_CALLS_PER_VARIANT + TRIALS_PER_VARIANT);
/** Largest x or y (bytes) for which the candidate with reordered activations is tried. */
export const BLOCKED_ACTIVATIONS_MAX_BYTES = 16 * 2 ** 20;

function label(v: ConvVariant): string {
  const reordered = [v.reordersWeights ? "filter" : "", v.reordersActivations ? "activations" : ""];
  const what = reordered.filter((r) => r !== "").join("+");
  return what === "" ? v.impl : `${v.impl}+reordered ${what}`;
}

/** Whether x and y of a pass are small enough to try oneDNN's blocked activation layout. */
function activationsFit(spec: ConvSpec): boolean {
  const x = spec.batch * spec.inHeight * spec.inWidth * spec.inChannels;
  const y = spec.batch * spec.outHeight * spec.outWidth * spec.outChannels;
  return 4 * Math.max(x, y) <= BLOCKED_ACTIVATIONS_MAX_BYTES;
}

/** A candidate variant, or null when oneDNN has none for this layout (BackendError). */
function tryVariant(ctx: DnnlContext, spec: ConvSpec, weightsTag: number, activationsTag?: number) {
  try {
    return createConvVariant(ctx, spec, weightsTag, activationsTag);
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    return null;
  }
}

/** The matmul candidate, or null when oneDNN has no matmul for its shapes (BackendError). */
function tryMatmul(ctx: DnnlContext, spec: ConvSpec) {
  try {
    return createMatmulConvVariant(ctx, spec);
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    return null;
  }
}

/** The timing of a few candidates over their first calls: which runs next, and the fastest once known. */
export interface VariantTrial {
  /** The candidate the next call runs. */
  readonly next: number;
  /** The fastest candidate, once every one has had its untimed and timed calls; null before. */
  readonly winner: number | null;
  /**
   * Records how long the call that ran `next` took.
   *
   * @param ms its wall time
   */
  record(ms: number): void;
}

/**
 * Starts a trial: candidates take turns; each one's first {@link WARMUP_CALLS_PER_VARIANT} calls are
 * not timed, the best of its next {@link TRIALS_PER_VARIANT} counts.
 *
 * @param candidates how many candidates (≥ 1)
 * @returns the trial
 */
export function variantTrial(candidates: number): VariantTrial {
  const best = new Array<number>(candidates).fill(Infinity);
  let calls = 0;
  let winner: number | null = candidates === 1 ? 0 : null;
  return {
    get next() {
      return calls % candidates;
    },
    get winner() {
      return winner;
    },
    record(ms) {
      const i = calls % candidates;
      if (calls >= WARMUP_CALLS_PER_VARIANT * candidates) best[i] = Math.min(best[i], ms);
      if (++calls === (WARMUP_CALLS_PER_VARIANT + TRIALS_PER_VARIANT) * candidates) {
        winner = best.indexOf(Math.min(...best));
      }
    },
  };
}

/**
 * Builds the candidate variants of a convolution pass.
 *
 * @param ctx the oneDNN context
 * @param spec the geometry and pass
 * @returns the primitive
 * @throws {BackendError} when oneDNN has no implementation for the geometry
 */
export function createConvPrimitive(ctx: DnnlContext, spec: ConvSpec): ReadyPrimitive {
  const preferred = createConvVariant(ctx, spec, DNNL.tag_any);
  let candidates = [preferred];
  // no in-place or blocked implementation: the others stay
  const inPlace = preferred.reordersWeights ? tryVariant(ctx, spec, DNNL.tag_hwio) : null;
  if (inPlace) candidates.push(inPlace);
  const blocked = activationsFit(spec) ? tryVariant(ctx, spec, DNNL.tag_any, DNNL.tag_any) : null;
  if (blocked?.reordersActivations) candidates.push(blocked);
  else blocked?.dispose(); // oneDNN kept NHWC: the same as the preferred variant
  const matmul = matmulConvFits(spec) ? tryMatmul(ctx, spec) : null;
  if (matmul) candidates.push(matmul);
  const optimized = candidates.filter((c) => !c.impl.startsWith("ref"));
  if (optimized.length > 0 && optimized.length < candidates.length) {
    candidates.filter((c) => !optimized.includes(c)).forEach((c) => c.dispose());
    candidates = optimized;
  }
  const trial = variantTrial(candidates.length);
  let chosen: ConvVariant | null = candidates.length === 1 ? candidates[0] : null;
  return {
    get impl() {
      return chosen ? label(chosen) : `tuning ${candidates.map(label).join(" vs ")}`;
    },
    get workspaceBytes() {
      return (chosen ?? candidates[trial.next]).workspaceBytes;
    },
    execute(pointers, filter) {
      if (chosen) return chosen.execute(pointers, filter);
      const start = performance.now();
      candidates[trial.next].execute(pointers, filter);
      trial.record(performance.now() - start);
      const winner = trial.winner;
      if (winner !== null) {
        chosen = candidates[winner];
        candidates.forEach((c, j) => j !== winner && c.dispose());
      }
    },
    dispose() {
      if (chosen) chosen.dispose();
      else candidates.forEach((c) => c.dispose());
    },
  };
}
