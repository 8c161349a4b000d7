/**
 * One way to run a convolution pass on oneDNN: the convolution primitive, plus a filter reorder when
 * the implementation wants its own weights layout, and the memory objects whose data handles point at
 * the caller's buffers on each call.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { convDescs, convPrimitiveDesc, type ConvSpec, describeConv } from "./conv_desc.ts";
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, implName } from "./native.ts";
import { buildOwned, execArgs, MEMORY_ALLOCATE } from "./owned.ts";

/**
 * A ready convolution. `execute` takes raw pointers to float32 buffers, in this order —
 * forward: x, filter, [bias,] y; backward_data: dy, filter, dx; backward_weights: x, dy, dfilter.
 */
export interface ConvVariant {
  /** oneDNN's implementation name (e.g. `brgconv:avx512_core`, `jit:avx2`, `gemm:jit`). */
  readonly impl: string;
  /** Whether the filter goes through a reorder on every call. */
  readonly reordersWeights: boolean;
  /**
   * Runs the convolution synchronously.
   *
   * @param pointers the buffers, in the order documented on the interface
   * @throws {BackendError} when oneDNN fails
   */
  execute(pointers: readonly Deno.PointerValue[]): void;
  /** Frees the native primitives and memory objects. */
  dispose(): void;
}

/** `DNNL_MEMORY_ALLOCATE`: the library allocates (and frees) the buffer. */
/**
 * Builds a variant. Creating one generates machine code (about a millisecond); cache it.
 *
 * @param ctx the oneDNN context
 * @param spec the geometry and pass
 * @param weightsTag `DNNL.tag_any` (oneDNN's preferred filter layout, reordered on each call) or
 * `DNNL.tag_hwio` (TensorFlow.js's layout, used in place)
 * @returns the variant
 * @throws {BackendError} when oneDNN has no implementation for this geometry and layout
 */
export function createConvVariant(ctx: DnnlContext, spec: ConvSpec, weightsTag: number): ConvVariant {
  const { lib } = ctx;
  const d = convDescs(ctx, spec, weightsTag);
  const pd = convPrimitiveDesc(ctx, spec, d);
  return buildOwned(ctx, [pd], (owned) => {
    const impl = implName(lib, pd);
    const weightsQuery = spec.kind === "backward_weights"
      ? DNNL.query_diff_weights_md
      : DNNL.query_weights_md;
    const chosenWeights = lib.dnnl_primitive_desc_query_md(pd, weightsQuery, 0);
    if (chosenWeights === null) {
      throw new BackendError("onednn", `no weights layout for ${describeConv(spec)}`);
    }
    const userWeightsMd = Deno.UnsafePointer.of(d.weightsUser);
    const reorders = lib.dnnl_memory_desc_equal(chosenWeights, userWeightsMd) === 0;
    const conv = owned.primitive(pd);

    const src = owned.memory(Deno.UnsafePointer.of(d.src), null);
    const dst = owned.memory(Deno.UnsafePointer.of(d.dst), null);
    const userWeights = owned.memory(userWeightsMd, null);
    const convWeights = reorders
      ? owned.memory(chosenWeights, Deno.UnsafePointer.create(MEMORY_ALLOCATE))
      : userWeights;
    const bias = d.bias ? owned.memory(Deno.UnsafePointer.of(d.bias), null) : null;

    let handles: Deno.PointerObject[];
    let convArgs: [number, Deno.PointerObject][];
    let reorderBefore: Deno.PointerObject | null = null;
    let reorderAfter: Deno.PointerObject | null = null;
    const reorderArgs = execArgs(
      spec.kind === "backward_weights"
        ? [[DNNL.arg_src, convWeights], [DNNL.arg_dst, userWeights]]
        : [[DNNL.arg_src, userWeights], [DNNL.arg_dst, convWeights]],
    );
    if (spec.kind === "forward") {
      handles = [src, userWeights, ...(bias ? [bias] : []), dst];
      convArgs = [[DNNL.arg_src, src], [DNNL.arg_weights, convWeights], [DNNL.arg_dst, dst]];
      if (bias) convArgs.push([DNNL.arg_bias, bias]);
      if (reorders) reorderBefore = owned.reorder(userWeightsMd, chosenWeights);
    } else if (spec.kind === "backward_data") {
      handles = [dst, userWeights, src];
      convArgs = [[DNNL.arg_diff_dst, dst], [DNNL.arg_weights, convWeights], [DNNL.arg_diff_src, src]];
      if (reorders) reorderBefore = owned.reorder(userWeightsMd, chosenWeights);
    } else {
      handles = [src, dst, userWeights];
      convArgs = [[DNNL.arg_src, src], [DNNL.arg_diff_dst, dst], [DNNL.arg_diff_weights, convWeights]];
      if (reorders) reorderAfter = owned.reorder(chosenWeights, userWeightsMd);
    }
    const args = execArgs(convArgs);
    const label = describeConv(spec);
    return {
      impl,
      reordersWeights: reorders,
      execute(pointers) {
        if (pointers.length !== handles.length) {
          throw new BackendError(
            "onednn",
            `${label}: expected ${handles.length} buffers, got ${pointers.length}`,
          );
        }
        handles.forEach((memory, i) =>
          check(lib.dnnl_memory_set_data_handle(memory, pointers[i]), "set handle")
        );
        if (reorderBefore) {
          check(lib.dnnl_primitive_execute(reorderBefore, ctx.stream, 2, reorderArgs), "reorder");
        }
        check(lib.dnnl_primitive_execute(conv, ctx.stream, convArgs.length, args), label);
        if (reorderAfter) {
          check(lib.dnnl_primitive_execute(reorderAfter, ctx.stream, 2, reorderArgs), "reorder");
        }
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
