/**
 * Pooling gradients on oneDNN (NHWC, in place in the wasm heap): `MaxPoolGrad` (VGG19's pools in the
 * perceptual loss) and `AvgPoolGrad` (the discriminators' input pyramid). tfjs-backend-wasm runs both
 * as scalar single-threaded loops, 25–30 ms a call at 256×128.
 *
 * oneDNN's max-pool backward reads the positions of the maxima from a workspace its forward pass
 * writes, so the max kernel reruns the forward (cheap) before the backward.
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, dnnlDims, implName, memoryDesc } from "./native.ts";
import { buildOwned, execArgs, MEMORY_ALLOCATE, type ReadyPrimitive } from "./owned.ts";
import { createPrimitiveDesc } from "./primitive_desc.ts";
import type { PoolGeometry } from "../wasm/pool_grad.ts";

/** The geometry of a 2-D pooling gradient, NHWC, and which gradient. */
export interface PoolSpec extends PoolGeometry {
  kind: "max_backward" | "avg_backward";
}

/**
 * Whether a cached spec is a pooling one.
 *
 * @param spec a spec
 * @returns true for {@link PoolSpec}
 */
export function isPoolSpec(spec: { kind: string }): spec is PoolSpec {
  return spec.kind === "max_backward" || spec.kind === "avg_backward";
}

/**
 * A key that identifies a spec, for caching primitives.
 *
 * @param s the geometry
 * @returns a string unique per distinct spec
 */
export function poolSpecKey(s: PoolSpec): string {
  return [
    s.kind,
    s.batch,
    s.channels,
    s.inHeight,
    s.inWidth,
    s.outHeight,
    s.outWidth,
    s.filterHeight,
    s.filterWidth,
    s.strideHeight,
    s.strideWidth,
    s.padTop,
    s.padBottom,
    s.padLeft,
    s.padRight,
  ].join(",");
}

/**
 * Builds a pooling gradient. `execute` takes raw pointers — max: x, dy, dx; avg: dy, dx.
 *
 * @param ctx the oneDNN context
 * @param s the geometry
 * @returns the primitive
 * @throws {BackendError} when oneDNN has no implementation for the geometry
 */
export function createPoolPrimitive(ctx: DnnlContext, s: PoolSpec): ReadyPrimitive {
  const { lib } = ctx;
  const alg = s.kind === "max_backward" ? DNNL.pooling_max : DNNL.pooling_avg_exclude_padding;
  const src = memoryDesc(lib, [s.batch, s.channels, s.inHeight, s.inWidth], DNNL.tag_nhwc);
  const dst = memoryDesc(lib, [s.batch, s.channels, s.outHeight, s.outWidth], DNNL.tag_nhwc);
  // strides, kernel, dilation (0: none), padding before and after
  const window = [
    dnnlDims([s.strideHeight, s.strideWidth]),
    dnnlDims([s.filterHeight, s.filterWidth]),
    dnnlDims([0, 0]),
    dnnlDims([s.padTop, s.padLeft]),
    dnnlDims([s.padBottom, s.padRight]),
  ] as const;
  const forwardDesc = new Uint8Array(DNNL.POOL_DESC_BYTES);
  const forwardInit = lib.dnnl_pooling_v2_forward_desc_init(
    forwardDesc,
    DNNL.forward_training,
    alg,
    src,
    dst,
    ...window,
  );
  check(forwardInit, "pooling forward descriptor");
  const backwardDesc = new Uint8Array(DNNL.POOL_DESC_BYTES);
  check(
    lib.dnnl_pooling_v2_backward_desc_init(backwardDesc, alg, src, dst, ...window),
    "pooling backward descriptor",
  );
  const forwardPd = createPrimitiveDesc(ctx, forwardDesc, `pooling ${s.kind} forward`);
  let backwardPd: Deno.PointerObject;
  try {
    backwardPd = createPrimitiveDesc(ctx, backwardDesc, `pooling ${s.kind}`, {}, forwardPd);
  } catch (err) {
    lib.dnnl_primitive_desc_destroy(forwardPd);
    throw err;
  }
  return buildOwned(ctx, [forwardPd, backwardPd], (owned) => {
    const impl = implName(lib, backwardPd);
    const diffSrc = owned.memory(Deno.UnsafePointer.of(src), null);
    const diffDst = owned.memory(Deno.UnsafePointer.of(dst), null);
    const backward = owned.primitive(backwardPd);
    const backwardArgs: [number, Deno.PointerObject][] = [[DNNL.arg_diff_dst, diffDst], [
      DNNL.arg_diff_src,
      diffSrc,
    ]];
    let forward: { primitive: Deno.PointerObject; x: Deno.PointerObject; args: Uint8Array } | null = null;
    if (s.kind === "max_backward") {
      const workspaceMd = lib.dnnl_primitive_desc_query_md(forwardPd, DNNL.query_workspace_md, 0);
      const workspace = owned.memory(workspaceMd, Deno.UnsafePointer.create(MEMORY_ALLOCATE));
      const x = owned.memory(Deno.UnsafePointer.of(src), null);
      const y = owned.memory(Deno.UnsafePointer.of(dst), Deno.UnsafePointer.create(MEMORY_ALLOCATE));
      forward = {
        primitive: owned.primitive(forwardPd),
        x,
        args: execArgs([[DNNL.arg_src, x], [DNNL.arg_dst, y], [DNNL.arg_workspace, workspace]]),
      };
      backwardArgs.push([DNNL.arg_workspace, workspace]);
    }
    const packed = execArgs(backwardArgs);
    const expected = forward ? 3 : 2;
    return {
      impl,
      execute(pointers) {
        if (pointers.length !== expected) {
          throw new RangeError(`pooling ${s.kind}: expected ${expected} buffers, got ${pointers.length}`);
        }
        const [dy, dx] = pointers.slice(-2);
        if (forward) {
          check(lib.dnnl_memory_set_data_handle(forward.x, pointers[0]), "set handle");
          check(
            lib.dnnl_primitive_execute(forward.primitive, ctx.stream, 3, forward.args),
            "max pool forward",
          );
        }
        check(lib.dnnl_memory_set_data_handle(diffDst, dy), "set handle");
        check(lib.dnnl_memory_set_data_handle(diffSrc, dx), "set handle");
        check(
          lib.dnnl_primitive_execute(backward, ctx.stream, backwardArgs.length, packed),
          `pooling ${s.kind}`,
        );
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
