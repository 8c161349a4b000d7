/**
 * One way to run a convolution pass on oneDNN: the convolution primitive, plus reorders of the filter
 * and, when asked, of the activations where the implementation wants its own layout, and the memory
 * objects whose data handles point at the caller's buffers on each call. The reordered buffers and
 * oneDNN's scratchpad (the gemm kernels'
 * im2col buffer: 0.5–0.6 GiB for a 2048×1024 layer) live in a workspace lent for the call only
 * (kernels.ts places it in the wasm heap, where freed tensors leave room), not in buffers that
 * stay resident for the life of the process. The exception is a reordered filter that comes back (the
 * same tensor on a later call): its copy is kept between calls (`filter_cache.ts`).
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { convDescs, convPrimitiveDesc, type ConvSpec, describeConv } from "./conv_desc.ts";
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, implName, memoryDesc, outSlot, pointerIn } from "./native.ts";
import { buildOwned, execArgs, MEMORY_ALLOCATE, Owned } from "./owned.ts";
import { FilterCache, type FilterIdentity } from "./filter_cache.ts";

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
  /** Whether x, y, dx or dy go through a reorder on every call (oneDNN chose a blocked layout). */
  readonly reordersActivations: boolean;
  /** Bytes of workspace each call takes: the buffers in oneDNN's layouts, then its scratchpad. */
  readonly workspaceBytes: number;
  /**
   * Runs the convolution synchronously.
   *
   * @param pointers the buffers, in the order documented on the interface
   * @param filter the filter tensor (forward, backward_data): its reordered copy is kept for the
   * calls that come back with it ({@link FilterCache}); absent: reordered on every call
   * @throws {BackendError} when oneDNN fails
   */
  execute(pointers: readonly Deno.PointerValue[], filter?: FilterIdentity): void;
  /** Frees the native primitives and memory objects, and the kept filter copies. */
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
 *
 * @param ctx the oneDNN context
 * @param bytes the workspace's size
 * @param lent the caller's workspace, or null
 * @param body what runs on it (its base pointer; null when `bytes` is 0)
 */
export function withWorkspace(
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

/** A layout oneDNN chose for one buffer, and the reorder between it and the caller's layout. */
interface Converted {
  /** The memory object the convolution reads or writes, placed in the workspace on each call. */
  memory: Deno.PointerObject;
  /** Byte offset of its buffer in the workspace. */
  at: number;
  /** The reorder and its arguments: before the convolution (inputs) or after it (outputs). */
  reorder: Deno.PointerObject;
  reorderArgs: Uint8Array;
  after: boolean;
  /** Its size in bytes. */
  bytes: number;
}

/**
 * Builds a variant. Creating one generates machine code (about a millisecond); cache it.
 *
 * @param ctx the oneDNN context
 * @param spec the geometry and pass
 * @param weightsTag `DNNL.tag_any` (oneDNN's preferred filter layout, reordered on each call) or
 * `DNNL.tag_hwio` (TensorFlow.js's layout, used in place)
 * @param activationsTag `DNNL.tag_nhwc` (activations used in place, the default) or `DNNL.tag_any`
 * (oneDNN's preferred layout, blocked by channels: x and dy reordered into it before each call, the
 * result reordered back after)
 * @returns the variant
 * @throws {BackendError} when oneDNN has no implementation for this geometry and layout
 */
export function createConvVariant(
  ctx: DnnlContext,
  spec: ConvSpec,
  weightsTag: number,
  activationsTag: number = DNNL.tag_nhwc,
): ConvVariant {
  const { lib } = ctx;
  const d = convDescs(ctx, spec, weightsTag, activationsTag);
  const pd = convPrimitiveDesc(ctx, spec, d);
  return buildOwned(ctx, [pd], (owned) => {
    const impl = implName(lib, pd);
    const conv = owned.primitive(pd);
    let workspaceBytes = 0;
    const converted: Converted[] = [];
    /**
     * The memory object the convolution uses for one of its buffers: the caller's (`user`, its data
     * handle set on each call) when oneDNN chose the caller's layout, else one in the workspace with a
     * reorder from (input) or to (output) the caller's.
     */
    const place = (query: number, user: Deno.PointerObject, userMd: Deno.PointerValue, output: boolean) => {
      const chosen = lib.dnnl_primitive_desc_query_md(pd, query, 0);
      if (chosen === null) throw new BackendError("onednn", `no layout for ${describeConv(spec)}`);
      if (lib.dnnl_memory_desc_equal(chosen, userMd) !== 0) return user;
      const memory = owned.memory(chosen, null);
      const at = workspaceBytes, bytes = mdBytes(ctx, chosen);
      workspaceBytes = Math.ceil((at + bytes) / WORKSPACE_ALIGN) * WORKSPACE_ALIGN;
      converted.push({
        bytes,
        memory,
        at,
        reorder: output ? owned.reorder(chosen, userMd) : owned.reorder(userMd, chosen),
        reorderArgs: execArgs(
          output ? [[DNNL.arg_src, memory], [DNNL.arg_dst, user]] : [
            [DNNL.arg_src, user],
            [DNNL.arg_dst, memory],
          ],
        ),
        after: output,
      });
      return memory;
    };
    const userWeightsMd = Deno.UnsafePointer.of(d.weightsUser);
    const srcMd = Deno.UnsafePointer.of(d.src), dstMd = Deno.UnsafePointer.of(d.dst);
    const src = owned.memory(srcMd, null);
    const dst = owned.memory(dstMd, null);
    const userWeights = owned.memory(userWeightsMd, null);
    const bias = d.bias ? owned.memory(Deno.UnsafePointer.of(d.bias), null) : null;

    let handles: Deno.PointerObject[];
    let convArgs: [number, Deno.PointerObject][];
    if (spec.kind === "forward") {
      handles = [src, userWeights, ...(bias ? [bias] : []), dst];
      convArgs = [
        [DNNL.arg_src, place(DNNL.query_src_md, src, srcMd, false)],
        [DNNL.arg_weights, place(DNNL.query_weights_md, userWeights, userWeightsMd, false)],
        [DNNL.arg_dst, place(DNNL.query_dst_md, dst, dstMd, true)],
      ];
      if (bias) convArgs.push([DNNL.arg_bias, bias]);
    } else if (spec.kind === "backward_data") {
      handles = [dst, userWeights, src];
      convArgs = [
        [DNNL.arg_diff_dst, place(DNNL.query_diff_dst_md, dst, dstMd, false)],
        [DNNL.arg_weights, place(DNNL.query_weights_md, userWeights, userWeightsMd, false)],
        [DNNL.arg_diff_src, place(DNNL.query_diff_src_md, src, srcMd, true)],
      ];
    } else {
      handles = [src, dst, userWeights];
      convArgs = [
        [DNNL.arg_src, place(DNNL.query_src_md, src, srcMd, false)],
        [DNNL.arg_diff_dst, place(DNNL.query_diff_dst_md, dst, dstMd, false)],
        [DNNL.arg_diff_weights, place(DNNL.query_diff_weights_md, userWeights, userWeightsMd, true)],
      ];
    }
    const reordersWeights = convArgs.some(([arg, memory]) =>
      (arg === DNNL.arg_weights || arg === DNNL.arg_diff_weights) && memory !== userWeights
    );
    const scratchpadMd = lib.dnnl_primitive_desc_query_md(pd, DNNL.query_scratchpad_md, 0);
    const scratchpadBytes = mdBytes(ctx, scratchpadMd);
    const scratchpad = scratchpadBytes > 0 ? owned.memory(scratchpadMd, null) : null;
    // workspace: [converted buffers | scratchpad]
    const scratchpadAt = workspaceBytes;
    workspaceBytes += scratchpadBytes;
    if (scratchpad) convArgs.push([DNNL.arg_scratchpad, scratchpad]);
    const args = execArgs(convArgs);
    const label = describeConv(spec);
    const run = (steps: readonly Converted[]) => {
      for (const c of steps) {
        check(lib.dnnl_primitive_execute(c.reorder, ctx.stream, 2, c.reorderArgs), `${label}: reorder`);
      }
    };
    const before = converted.filter((c) => !c.after), after = converted.filter((c) => c.after);
    // the reordered filter of a forward or backward-data pass, which can be kept between calls
    const weights = spec.kind === "backward_weights" || !reordersWeights
      ? null
      : converted.find((c) => c.memory === convArgs.find(([arg]) => arg === DNNL.arg_weights)![1])!;
    const filterCache = weights ? new FilterCache(weights.bytes) : null;
    const beforeKeptFilter = before.filter((c) => c !== weights); // the filter's copy already holds it
    return {
      impl,
      reordersWeights,
      reordersActivations: converted.length > (reordersWeights ? 1 : 0),
      workspaceBytes,
      execute(pointers, filter) {
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
          const at = (offset: number) => Deno.UnsafePointer.offset(base as Deno.PointerObject, offset);
          const kept = filter && filterCache ? filterCache.place(filter) : null;
          for (const c of converted) {
            const handle = kept && c === weights ? kept.pointer : at(c.at);
            check(lib.dnnl_memory_set_data_handle(c.memory, handle), "set handle");
          }
          if (scratchpad) check(lib.dnnl_memory_set_data_handle(scratchpad, at(scratchpadAt)), "set handle");
          run(kept && !kept.reorder ? beforeKeptFilter : before);
          if (kept?.reorder) filterCache!.filled(kept, filter!);
          check(lib.dnnl_primitive_execute(conv, ctx.stream, convArgs.length, args), label);
          run(after);
        });
      },
      dispose() {
        filterCache?.dispose();
        owned.dispose();
      },
    };
  });
}
