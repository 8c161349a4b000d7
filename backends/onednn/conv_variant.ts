/**
 * One way to run a convolution pass on oneDNN: the convolution primitive, plus a filter reorder when
 * the implementation wants its own weights layout, and the memory objects whose data handles point at
 * the caller's buffers on each call. The reordered filter and oneDNN's scratchpad (the gemm kernels'
 * im2col buffer: 0.5–0.6 GiB for a 2048×1024 layer) live in a workspace lent for the call only
 * (kernels.ts places it in the wasm heap, where freed tensors leave room), not in buffers that
 * stay resident for the life of the process.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { convDescs, convPrimitiveDesc, type ConvSpec, describeConv } from "./conv_desc.ts";
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, implName, memoryDesc, outSlot, pointerIn } from "./native.ts";
import { buildOwned, execArgs, MEMORY_ALLOCATE, Owned } from "./owned.ts";

/**
 * A ready convolution. `execute` takes raw pointers to float32 buffers, in this order —
 * forward: x, filter, [bias,] y; backward_data: dy, filter, dx; backward_weights: x, dy, dfilter —
 * then, optionally, a workspace of `workspaceBytes` (absent or null: allocated natively for the call).
 */
export interface ConvVariant {
  /** oneDNN's implementation name (e.g. `brgconv:avx512_core`, `jit:avx2`, `gemm:jit`). */
  readonly impl: string;
  /** Whether the filter goes through a reorder on every call. */
  readonly reordersWeights: boolean;
  /** Bytes of workspace each call takes: the reordered filter, then oneDNN's scratchpad. */
  readonly workspaceBytes: number;
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

/** Alignment of the scratchpad after the reordered filter in the workspace (oneDNN asks 64 bytes). */
const WORKSPACE_ALIGN = 64;

/** The size oneDNN gives a memory descriptor, in bytes. */
function mdBytes(ctx: DnnlContext, md: Deno.PointerValue): number {
  return md === null ? 0 : Number(ctx.lib.dnnl_memory_desc_get_size(md));
}

/**
 * Runs `body` on a workspace: the lent one, or else one oneDNN allocates for the call and frees after.
 */
function withWorkspace(
  ctx: DnnlContext,
  bytes: number,
  lent: Deno.PointerValue,
  body: (base: Deno.PointerValue) => void,
): void {
  if (bytes === 0 || lent !== null) return body(lent);
  const owned = new Owned(ctx);
  try {
    const memory = owned.memory(
      Deno.UnsafePointer.of(memoryDesc(ctx.lib, [Math.ceil(bytes / 4)], DNNL.tag_a)),
      Deno.UnsafePointer.create(MEMORY_ALLOCATE),
    );
    const slot = outSlot();
    check(ctx.lib.dnnl_memory_get_data_handle(memory, slot), "dnnl_memory_get_data_handle");
    body(pointerIn(slot, "dnnl_memory_get_data_handle"));
  } finally {
    owned.dispose();
  }
}

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
    const convWeights = reorders ? owned.memory(chosenWeights, null) : userWeights;
    const bias = d.bias ? owned.memory(Deno.UnsafePointer.of(d.bias), null) : null;
    const scratchpadMd = lib.dnnl_primitive_desc_query_md(pd, DNNL.query_scratchpad_md, 0);
    const scratchpadBytes = mdBytes(ctx, scratchpadMd);
    const scratchpad = scratchpadBytes > 0 ? owned.memory(scratchpadMd, null) : null;
    // workspace: [reordered filter | scratchpad]
    const scratchpadAt = reorders
      ? Math.ceil(mdBytes(ctx, chosenWeights) / WORKSPACE_ALIGN) * WORKSPACE_ALIGN
      : 0;
    const workspaceBytes = scratchpadAt + scratchpadBytes;

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
    if (scratchpad) convArgs.push([DNNL.arg_scratchpad, scratchpad]);
    const args = execArgs(convArgs);
    const label = describeConv(spec);
    return {
      impl,
      reordersWeights: reorders,
      workspaceBytes,
      execute(pointers) {
        if (pointers.length !== handles.length && pointers.length !== handles.length + 1) {
          throw new BackendError(
            "onednn",
            `${label}: expected ${handles.length} buffers and a workspace, got ${pointers.length}`,
          );
        }
        handles.forEach((memory, i) =>
          check(lib.dnnl_memory_set_data_handle(memory, pointers[i]), "set handle")
        );
        withWorkspace(ctx, workspaceBytes, pointers[handles.length] ?? null, (base) => {
          if (reorders) check(lib.dnnl_memory_set_data_handle(convWeights, base), "set handle");
          if (scratchpad) {
            const at = Deno.UnsafePointer.offset(base as Deno.PointerObject, scratchpadAt);
            check(lib.dnnl_memory_set_data_handle(scratchpad, at), "set handle");
          }
          if (reorderBefore) {
            check(lib.dnnl_primitive_execute(reorderBefore, ctx.stream, 2, reorderArgs), "reorder");
          }
          check(lib.dnnl_primitive_execute(conv, ctx.stream, convArgs.length, args), label);
          if (reorderAfter) {
            check(lib.dnnl_primitive_execute(reorderAfter, ctx.stream, 2, reorderArgs), "reorder");
          }
        });
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
