/**
 * Sums and means over the pixels of NHWC tensors on oneDNN (axes 1 and 2, per sample and channel):
 * instance norm's statistics and their gradients. tfjs-backend-wasm first transposes the channels
 * inwards, then reduces on one thread. oneDNN 2.6's reduction primitive has only a reference
 * (scalar) implementation for this layout, 25× slower than its JIT average pooling with a window of
 * the whole image, which is what runs here (a sum: the mean times the pixel count, as a post-op).
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, dnnlDims, implName, memoryDesc } from "./native.ts";
import { buildOwned, execArgs, type ReadyPrimitive } from "./owned.ts";
import { createPrimitiveDesc, type PostOp } from "./primitive_desc.ts";

/** A reduction of `[batch, height, width, channels]` over height and width. */
export interface ReduceSpec {
  kind: "reduce_sum" | "reduce_mean";
  batch: number;
  height: number;
  width: number;
  channels: number;
}

/**
 * Whether a cached spec is a reduction.
 *
 * @param spec a spec
 * @returns true for {@link ReduceSpec}
 */
export function isReduceSpec(spec: { kind: string }): spec is ReduceSpec {
  return spec.kind === "reduce_sum" || spec.kind === "reduce_mean";
}

/**
 * A key that identifies a spec, for caching primitives.
 *
 * @param s the reduction
 * @returns a string unique per distinct spec
 */
export function reduceSpecKey(s: ReduceSpec): string {
  return [s.kind, s.batch, s.height, s.width, s.channels].join(",");
}

/**
 * Builds a reduction. `execute` takes raw pointers: x, then the `[batch, channels]` result.
 *
 * @param ctx the oneDNN context
 * @param s the reduction
 * @returns the primitive
 * @throws {BackendError} when oneDNN has no implementation for it
 */
export function createReducePrimitive(ctx: DnnlContext, s: ReduceSpec): ReadyPrimitive {
  const { lib } = ctx;
  const src = memoryDesc(lib, [s.batch, s.channels, s.height, s.width], DNNL.tag_nhwc);
  const dst = memoryDesc(lib, [s.batch, s.channels, 1, 1], DNNL.tag_nhwc);
  const desc = new Uint8Array(DNNL.POOL_DESC_BYTES);
  const zeros = dnnlDims([0, 0]);
  check(
    lib.dnnl_pooling_v2_forward_desc_init(
      desc,
      DNNL.forward_inference,
      DNNL.pooling_avg_exclude_padding,
      src,
      dst,
      dnnlDims([1, 1]),
      dnnlDims([s.height, s.width]),
      zeros,
      zeros,
      zeros,
    ),
    "global average pooling descriptor",
  );
  // A sum is the mean times the pixel count: a linear post-op.
  const scale: PostOp = { kind: "eltwise", alg: DNNL.eltwise_linear, alpha: s.height * s.width, beta: 0 };
  const pd = createPrimitiveDesc(ctx, desc, `oneDNN ${s.kind}`, {
    postOps: s.kind === "reduce_sum" ? [scale] : [],
  });
  return buildOwned(ctx, [pd], (owned) => {
    const impl = implName(lib, pd);
    const primitive = owned.primitive(pd);
    const x = owned.memory(Deno.UnsafePointer.of(src), null);
    const y = owned.memory(Deno.UnsafePointer.of(dst), null);
    const args = execArgs([[DNNL.arg_src, x], [DNNL.arg_dst, y]]);
    return {
      impl,
      execute(pointers) {
        if (pointers.length !== 2) {
          throw new RangeError(`${s.kind}: expected 2 buffers, got ${pointers.length}`);
        }
        check(lib.dnnl_memory_set_data_handle(x, pointers[0]), "set handle");
        check(lib.dnnl_memory_set_data_handle(y, pointers[1]), "set handle");
        check(lib.dnnl_primitive_execute(primitive, ctx.stream, 2, args), s.kind);
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
