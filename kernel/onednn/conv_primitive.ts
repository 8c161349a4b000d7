/**
 * One oneDNN convolution primitive (forward, backward-data or backward-weights) for one geometry, on
 * TensorFlow.js's own layouts: activations NHWC (`dnnl_nhwc`), filters `[kh, kw, in, out]`
 * (`dnnl_hwio`). oneDNN picks its fastest weights layout; when that is not `hwio` a reorder primitive
 * converts the (small) filter on each call, so activations are never transposed.
 *
 * @module
 */
import { BackendError } from "../errors.ts";
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, implName, memoryDesc, outSlot, pointerIn } from "./native.ts";

/** Which pass of the convolution. */
export type ConvKind = "forward" | "backward_data" | "backward_weights";

/** Fused activations of TensorFlow.js's `FusedConv2D` that oneDNN can run as a post-op. */
export type ConvActivation = "linear" | "relu" | "relu6" | "leakyrelu" | "elu" | "sigmoid";

/** The geometry of a 2-D convolution `x [batch,inH,inW,inC] * filter [kH,kW,inC,outC] → y [batch,outH,outW,outC]`. */
export interface ConvSpec {
  kind: ConvKind;
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  /** Forward only: a bias `[outC]` is added. */
  bias: boolean;
  /** Forward only: the fused activation. */
  activation: ConvActivation;
  /** Slope of `leakyrelu`. */
  leakyreluAlpha: number;
}

/**
 * A ready primitive. `execute` takes raw pointers to float32 buffers, in this order —
 * forward: x, filter, [bias,] y; backward_data: dy, filter, dx; backward_weights: x, dy, dfilter.
 */
export interface ConvPrimitive {
  /** oneDNN's implementation name (e.g. `brg:avx512_core`, `jit:avx2`, `gemm:jit`). */
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
  /** Frees the native primitive(s) and memory objects. */
  dispose(): void;
}

const MEMORY_ALLOCATE = Deno.UnsafePointer.create(0xffffffffffffffffn);

/**
 * A key that identifies a spec, for caching primitives.
 *
 * @param spec the geometry
 * @returns a string unique per distinct spec
 */
export function convSpecKey(spec: ConvSpec): string {
  return [
    spec.kind,
    spec.batch,
    spec.inHeight,
    spec.inWidth,
    spec.inChannels,
    spec.outHeight,
    spec.outWidth,
    spec.outChannels,
    spec.filterHeight,
    spec.filterWidth,
    spec.strideHeight,
    spec.strideWidth,
    spec.dilationHeight,
    spec.dilationWidth,
    spec.padTop,
    spec.padBottom,
    spec.padLeft,
    spec.padRight,
    spec.bias ? 1 : 0,
    spec.activation,
    spec.leakyreluAlpha,
  ].join(",");
}

/** Descriptors shared by the three passes. */
interface Descs {
  src: Uint8Array;
  dst: Uint8Array;
  weightsUser: Uint8Array;
  weightsAny: Uint8Array;
  bias: Uint8Array | null;
  strides: BigInt64Array;
  dilates: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
}

function descriptors(ctx: DnnlContext, s: ConvSpec): Descs {
  const { lib } = ctx;
  const weightDims = [s.outChannels, s.inChannels, s.filterHeight, s.filterWidth];
  const dims = (a: number, b: number) => {
    const out = new BigInt64Array(DNNL.MAX_NDIMS);
    out[0] = BigInt(a);
    out[1] = BigInt(b);
    return out;
  };
  return {
    src: memoryDesc(lib, [s.batch, s.inChannels, s.inHeight, s.inWidth], DNNL.tag_nhwc),
    dst: memoryDesc(lib, [s.batch, s.outChannels, s.outHeight, s.outWidth], DNNL.tag_nhwc),
    weightsUser: memoryDesc(lib, weightDims, DNNL.tag_hwio),
    weightsAny: memoryDesc(lib, weightDims, DNNL.tag_any),
    bias: s.kind === "forward" && s.bias ? memoryDesc(lib, [s.outChannels], DNNL.tag_a) : null,
    strides: dims(s.strideHeight, s.strideWidth),
    // oneDNN counts dilation from 0 (0 = dense), TensorFlow.js from 1.
    dilates: dims(s.dilationHeight - 1, s.dilationWidth - 1),
    padL: dims(s.padTop, s.padLeft),
    padR: dims(s.padBottom, s.padRight),
  };
}

function describe(s: ConvSpec): string {
  return `${s.kind} conv x[${s.batch},${s.inHeight},${s.inWidth},${s.inChannels}] ` +
    `filter[${s.filterHeight},${s.filterWidth},${s.inChannels},${s.outChannels}] ` +
    `y[${s.batch},${s.outHeight},${s.outWidth},${s.outChannels}] stride ${s.strideHeight}x${s.strideWidth} ` +
    `pad t${s.padTop} b${s.padBottom} l${s.padLeft} r${s.padRight}`;
}

function forwardOpDesc(ctx: DnnlContext, s: ConvSpec, d: Descs, withBias: boolean): Uint8Array {
  const op = new Uint8Array(DNNL.CONV_DESC_BYTES);
  check(
    ctx.lib.dnnl_dilated_convolution_forward_desc_init(
      op,
      s.kind === "forward" ? DNNL.forward_inference : DNNL.forward_training,
      DNNL.convolution_direct,
      d.src,
      d.weightsAny,
      withBias ? d.bias : null,
      d.dst,
      d.strides,
      d.dilates,
      d.padL,
      d.padR,
    ),
    `dnnl_convolution_forward_desc_init for ${describe(s)}`,
  );
  return op;
}

function eltwiseOf(s: ConvSpec): [number, number, number] | null {
  switch (s.activation) {
    case "linear":
      return null;
    case "relu":
      return [DNNL.eltwise_relu, 0, 0];
    case "leakyrelu":
      return [DNNL.eltwise_relu, s.leakyreluAlpha, 0];
    case "relu6":
      return [DNNL.eltwise_clip, 0, 6];
    case "elu":
      return [DNNL.eltwise_elu, 1, 0];
    case "sigmoid":
      return [DNNL.eltwise_logistic, 0, 0];
  }
}

/** Creates a primitive descriptor, destroying the attribute objects it needed. */
function primitiveDesc(
  ctx: DnnlContext,
  s: ConvSpec,
  op: Uint8Array,
  hint: Deno.PointerValue,
): Deno.PointerObject {
  const { lib } = ctx;
  const eltwise = s.kind === "forward" ? eltwiseOf(s) : null;
  let attr: Deno.PointerValue = null;
  let postOps: Deno.PointerValue = null;
  try {
    if (eltwise) {
      const attrSlot = outSlot();
      check(lib.dnnl_primitive_attr_create(attrSlot), "dnnl_primitive_attr_create");
      attr = pointerIn(attrSlot, "dnnl_primitive_attr_create");
      const opsSlot = outSlot();
      check(lib.dnnl_post_ops_create(opsSlot), "dnnl_post_ops_create");
      postOps = pointerIn(opsSlot, "dnnl_post_ops_create");
      check(lib.dnnl_post_ops_append_eltwise(postOps, 1, ...eltwise), `post-op ${s.activation}`);
      check(lib.dnnl_primitive_attr_set_post_ops(attr, postOps), "dnnl_primitive_attr_set_post_ops");
    }
    const pdSlot = outSlot();
    check(lib.dnnl_primitive_desc_create(pdSlot, op, attr, ctx.engine, hint), `primitive for ${describe(s)}`);
    return pointerIn(pdSlot, "dnnl_primitive_desc_create");
  } finally {
    if (postOps) lib.dnnl_post_ops_destroy(postOps);
    if (attr) lib.dnnl_primitive_attr_destroy(attr);
  }
}

function convPrimitiveDesc(ctx: DnnlContext, s: ConvSpec, d: Descs): Deno.PointerObject {
  const { lib } = ctx;
  if (s.kind === "forward") return primitiveDesc(ctx, s, forwardOpDesc(ctx, s, d, s.bias), null);
  const hint = primitiveDesc(ctx, { ...s, activation: "linear" }, forwardOpDesc(ctx, s, d, false), null);
  try {
    const op = new Uint8Array(DNNL.CONV_DESC_BYTES);
    const status = s.kind === "backward_data"
      ? lib.dnnl_dilated_convolution_backward_data_desc_init(
        op,
        DNNL.convolution_direct,
        d.src,
        d.weightsAny,
        d.dst,
        d.strides,
        d.dilates,
        d.padL,
        d.padR,
      )
      : lib.dnnl_dilated_convolution_backward_weights_desc_init(
        op,
        DNNL.convolution_direct,
        d.src,
        d.weightsAny,
        null,
        d.dst,
        d.strides,
        d.dilates,
        d.padL,
        d.padR,
      );
    check(status, `dnnl_convolution_${s.kind}_desc_init for ${describe(s)}`);
    return primitiveDesc(ctx, s, op, hint);
  } finally {
    lib.dnnl_primitive_desc_destroy(hint);
  }
}

/** Native objects owned by one ConvPrimitive, freed together. */
class Owned {
  readonly primitives: Deno.PointerObject[] = [];
  readonly memories: Deno.PointerObject[] = [];
  constructor(private readonly ctx: DnnlContext) {}

  memory(md: Deno.PointerValue, handle: Deno.PointerValue): Deno.PointerObject {
    const slot = outSlot();
    check(this.ctx.lib.dnnl_memory_create(slot, md, this.ctx.engine, handle), "dnnl_memory_create");
    const memory = pointerIn(slot, "dnnl_memory_create");
    this.memories.push(memory);
    return memory;
  }

  primitive(pd: Deno.PointerValue): Deno.PointerObject {
    const slot = outSlot();
    check(this.ctx.lib.dnnl_primitive_create(slot, pd), "dnnl_primitive_create");
    const primitive = pointerIn(slot, "dnnl_primitive_create");
    this.primitives.push(primitive);
    return primitive;
  }

  reorder(from: Deno.PointerValue, to: Deno.PointerValue): Deno.PointerObject {
    const slot = outSlot();
    const e = this.ctx.engine;
    check(this.ctx.lib.dnnl_reorder_primitive_desc_create(slot, from, e, to, e, null), "weights reorder");
    const pd = pointerIn(slot, "dnnl_reorder_primitive_desc_create");
    try {
      return this.primitive(pd);
    } finally {
      this.ctx.lib.dnnl_primitive_desc_destroy(pd);
    }
  }

  dispose(): void {
    for (const p of this.primitives.splice(0)) this.ctx.lib.dnnl_primitive_destroy(p);
    for (const m of this.memories.splice(0)) this.ctx.lib.dnnl_memory_destroy(m);
  }
}

/** A `dnnl_exec_arg_t[]` in JS memory. */
function execArgs(args: readonly [number, Deno.PointerObject][]): Uint8Array {
  const bytes = new Uint8Array(args.length * DNNL.EXEC_ARG_BYTES);
  const view = new DataView(bytes.buffer);
  args.forEach(([arg, memory], i) => {
    view.setInt32(i * DNNL.EXEC_ARG_BYTES, arg, true);
    view.setBigUint64(i * DNNL.EXEC_ARG_BYTES + 8, BigInt(Deno.UnsafePointer.value(memory)), true);
  });
  return bytes;
}

/**
 * Builds the primitive for a geometry. Creating one costs milliseconds (JIT code generation); cache it.
 *
 * @param ctx the oneDNN context
 * @param spec the geometry and pass
 * @returns the primitive
 * @throws {BackendError} when oneDNN has no implementation for the geometry
 */
export function createConvPrimitive(ctx: DnnlContext, spec: ConvSpec): ConvPrimitive {
  const { lib } = ctx;
  const d = descriptors(ctx, spec);
  const owned = new Owned(ctx);
  const pd = convPrimitiveDesc(ctx, spec, d);
  try {
    const impl = implName(lib, pd);
    const weightsQuery = spec.kind === "backward_weights" ? DNNL.query_diff_weights_md : DNNL.query_weights_md;
    const chosenWeights = lib.dnnl_primitive_desc_query_md(pd, weightsQuery, 0);
    if (chosenWeights === null) throw new BackendError("onednn", `no weights layout for ${describe(spec)}`);
    const userWeightsMd = Deno.UnsafePointer.of(d.weightsUser);
    const reorders = lib.dnnl_memory_desc_equal(chosenWeights, userWeightsMd) === 0;
    const conv = owned.primitive(pd);

    const src = owned.memory(Deno.UnsafePointer.of(d.src), null);
    const dst = owned.memory(Deno.UnsafePointer.of(d.dst), null);
    const userWeights = owned.memory(userWeightsMd, null);
    const convWeights = reorders ? owned.memory(chosenWeights, MEMORY_ALLOCATE) : userWeights;
    const bias = d.bias ? owned.memory(Deno.UnsafePointer.of(d.bias), null) : null;

    let handles: Deno.PointerObject[];
    let convArgs: [number, Deno.PointerObject][];
    let reorder: { primitive: Deno.PointerObject; args: Uint8Array; before: boolean } | null = null;
    if (spec.kind === "forward" || spec.kind === "backward_data") {
      const forward = spec.kind === "forward";
      handles = forward ? [src, userWeights, ...(bias ? [bias] : []), dst] : [dst, userWeights, src];
      convArgs = forward
        ? [[DNNL.arg_src, src], [DNNL.arg_weights, convWeights], [DNNL.arg_dst, dst]]
        : [[DNNL.arg_diff_dst, dst], [DNNL.arg_weights, convWeights], [DNNL.arg_diff_src, src]];
      if (bias) convArgs.push([DNNL.arg_bias, bias]);
      if (reorders) {
        const primitive = owned.reorder(userWeightsMd, chosenWeights);
        reorder = { primitive, args: execArgs([[DNNL.arg_src, userWeights], [DNNL.arg_dst, convWeights]]), before: true };
      }
    } else {
      handles = [src, dst, userWeights];
      convArgs = [[DNNL.arg_src, src], [DNNL.arg_diff_dst, dst], [DNNL.arg_diff_weights, convWeights]];
      if (reorders) {
        const primitive = owned.reorder(chosenWeights, userWeightsMd);
        reorder = { primitive, args: execArgs([[DNNL.arg_src, convWeights], [DNNL.arg_dst, userWeights]]), before: false };
      }
    }
    const args = execArgs(convArgs);
    const label = describe(spec);
    return {
      impl,
      reordersWeights: reorders,
      execute(pointers) {
        if (pointers.length !== handles.length) {
          throw new BackendError("onednn", `${label}: expected ${handles.length} buffers, got ${pointers.length}`);
        }
        handles.forEach((memory, i) => check(lib.dnnl_memory_set_data_handle(memory, pointers[i]), "set handle"));
        if (reorder?.before) check(lib.dnnl_primitive_execute(reorder.primitive, ctx.stream, 2, reorder.args), "reorder");
        check(lib.dnnl_primitive_execute(conv, ctx.stream, convArgs.length, args), label);
        if (reorder && !reorder.before) {
          check(lib.dnnl_primitive_execute(reorder.primitive, ctx.stream, 2, reorder.args), "reorder");
        }
      },
      dispose() {
        owned.dispose();
      },
    };
  } catch (err) {
    owned.dispose();
    throw err;
  } finally {
    lib.dnnl_primitive_desc_destroy(pd);
  }
}
