/**
 * A convolution pass for one geometry that picks its fastest oneDNN variant by timing real calls.
 *
 * oneDNN's fastest kernels (`brgconv`, `jit`) want a blocked filter layout, so each call converts the
 * TensorFlow.js filter (a reorder): cheap for small filters, but for 512×512×3×3 filters the reorder
 * costs more than the convolution. The `gemm` kernels use the `hwio` filter in place. The first calls
 * alternate between both and keep the faster; activations stay NHWC in place either way. oneDNN's
 * reference (`ref:`) kernels are scalar loops, 100–1000× slower: never a candidate when another is.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import type { ConvSpec } from "./conv_desc.ts";
import { type ConvVariant, createConvVariant } from "./conv_variant.ts";
import { DNNL } from "./ffi.ts";
import type { DnnlContext } from "./native.ts";
import type { ReadyPrimitive } from "./owned.ts";

/** Timed calls per candidate variant before the faster one is kept (the best of them counts). */
export const TRIALS_PER_VARIANT = 2;

function label(v: ConvVariant): string {
  return v.reordersWeights ? `${v.impl}+reorder` : v.impl;
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
  if (preferred.reordersWeights) {
    try {
      candidates.push(createConvVariant(ctx, spec, DNNL.tag_hwio));
    } catch (err) {
      if (!(err instanceof BackendError)) throw err; // no in-place implementation: keep the reordering one
    }
  }
  const optimized = candidates.filter((c) => !c.impl.startsWith("ref"));
  if (optimized.length > 0 && optimized.length < candidates.length) {
    candidates.filter((c) => !optimized.includes(c)).forEach((c) => c.dispose());
    candidates = optimized;
  }
  const best = candidates.map(() => Infinity);
  let calls = 0;
  let chosen: ConvVariant | null = candidates.length === 1 ? candidates[0] : null;
  return {
    get impl() {
      return chosen ? label(chosen) : `tuning ${candidates.map(label).join(" vs ")}`;
    },
    get workspaceBytes() {
      return (chosen ?? candidates[calls % candidates.length]).workspaceBytes;
    },
    execute(pointers) {
      if (chosen) return chosen.execute(pointers);
      const i = calls % candidates.length;
      const start = performance.now();
      candidates[i].execute(pointers);
      best[i] = Math.min(best[i], performance.now() - start);
      if (++calls === TRIALS_PER_VARIANT * candidates.length) {
        const winner = best.indexOf(Math.min(...best));
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
