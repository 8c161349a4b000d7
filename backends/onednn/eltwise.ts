/**
 * (Leaky) ReLU and its gradient, and tanh, on oneDNN, multi-threaded and in place in the wasm heap: the
 * discriminators' LeakyReLU(0.2) and both gradients (TensorFlow.js computes the gradient as three
 * single-threaded kernels: Greater, Multiply, Select; ReLU's as Step and Multiply), and the generators'
 * output tanh (tfjs-backend-wasm: 44 ms for 2 M values, 1.4 ulp from float64's at most; oneDNN: 0.5 ms,
 * 0.66 ulp).
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, implName, memoryDesc } from "./native.ts";
import { buildOwned, execArgs, type ReadyPrimitive } from "./owned.ts";
import { createPrimitiveDesc } from "./primitive_desc.ts";

/**
 * `y = x > 0 ? x : alpha·x` (forward) or `dx = x > 0 ? dy : alpha·dy` (backward), or `y = tanh(x)`
 * (alpha unused), on flat buffers.
 */
export interface EltwiseSpec {
  kind: "leakyrelu_forward" | "leakyrelu_backward" | "tanh_forward";
  /** Elements. */
  length: number;
  /** Slope below zero (0: ReLU). */
  alpha: number;
}

/**
 * Whether a cached spec is an element-wise one.
 *
 * @param spec a spec
 * @returns true for {@link EltwiseSpec}
 */
export function isEltwiseSpec(spec: { kind: string }): spec is EltwiseSpec {
  return spec.kind === "leakyrelu_forward" || spec.kind === "leakyrelu_backward" ||
    spec.kind === "tanh_forward";
}

/**
 * A key that identifies a spec, for caching primitives.
 *
 * @param s the operation
 * @returns a string unique per distinct spec
 */
export function eltwiseSpecKey(s: EltwiseSpec): string {
  return [s.kind, s.alpha, s.length].join(",");
}

/**
 * Builds the primitive. `execute` takes raw pointers — forward: x, y; backward: x, dy, dx.
 *
 * @param ctx the oneDNN context
 * @param s the operation
 * @returns the primitive
 * @throws {BackendError} when oneDNN has no implementation for it
 */
export function createEltwisePrimitive(ctx: DnnlContext, s: EltwiseSpec): ReadyPrimitive {
  const { lib } = ctx;
  const md = memoryDesc(lib, [s.length], DNNL.tag_a);
  const forwardDesc = new Uint8Array(DNNL.ELTWISE_DESC_BYTES);
  const forward = s.kind !== "leakyrelu_backward";
  const prop = forward ? DNNL.forward_inference : DNNL.forward_training;
  const alg = s.kind === "tanh_forward" ? DNNL.eltwise_tanh : DNNL.eltwise_relu;
  check(lib.dnnl_eltwise_forward_desc_init(forwardDesc, prop, alg, md, s.alpha, 0), "eltwise");
  const forwardPd = createPrimitiveDesc(ctx, forwardDesc, `oneDNN ${s.kind}`);
  if (forward) {
    return buildOwned(ctx, [forwardPd], (owned) => {
      const primitive = owned.primitive(forwardPd);
      const x = owned.memory(Deno.UnsafePointer.of(md), null),
        y = owned.memory(Deno.UnsafePointer.of(md), null);
      return bound(ctx, implName(lib, forwardPd), primitive, [[DNNL.arg_src, x], [DNNL.arg_dst, y]], owned);
    });
  }
  const backwardDesc = new Uint8Array(DNNL.ELTWISE_DESC_BYTES);
  let backwardPd: Deno.PointerObject;
  try {
    check(
      lib.dnnl_eltwise_backward_desc_init(backwardDesc, DNNL.eltwise_relu, md, md, s.alpha, 0),
      "eltwise",
    );
    backwardPd = createPrimitiveDesc(ctx, backwardDesc, `oneDNN ${s.kind}`, {}, forwardPd);
  } catch (err) {
    lib.dnnl_primitive_desc_destroy(forwardPd);
    throw err;
  }
  return buildOwned(ctx, [forwardPd, backwardPd], (owned) => {
    const primitive = owned.primitive(backwardPd);
    const [x, dy, dx] = [0, 1, 2].map(() => owned.memory(Deno.UnsafePointer.of(md), null));
    const args: [number, Deno.PointerObject][] = [[DNNL.arg_src, x], [DNNL.arg_diff_dst, dy], [
      DNNL.arg_diff_src,
      dx,
    ]];
    return bound(ctx, implName(lib, backwardPd), primitive, args, owned);
  });
}

/** A primitive whose memory objects take the caller's pointers in the order of `args`. */
function bound(
  ctx: DnnlContext,
  impl: string,
  primitive: Deno.PointerObject,
  args: [number, Deno.PointerObject][],
  owned: { dispose(): void },
): ReadyPrimitive {
  const { lib } = ctx;
  const packed = execArgs(args);
  return {
    impl,
    execute(pointers) {
      if (pointers.length !== args.length) {
        throw new RangeError(`eltwise: expected ${args.length} buffers, got ${pointers.length}`);
      }
      args.forEach(([, memory], i) =>
        check(lib.dnnl_memory_set_data_handle(memory, pointers[i]), "set handle")
      );
      check(lib.dnnl_primitive_execute(primitive, ctx.stream, args.length, packed), "eltwise");
    },
    dispose() {
      owned.dispose();
    },
  };
}
