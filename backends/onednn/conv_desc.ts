/**
 * The oneDNN description of a convolution: its geometry ({@link ConvSpec}), memory descriptors on
 * TensorFlow.js's layouts (activations NHWC = `dnnl_nhwc`, filters `[kh, kw, in, out]` = `dnnl_hwio`)
 * and the primitive descriptor of one pass.
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, memoryDesc } from "./native.ts";
import { createPrimitiveDesc } from "./primitive_desc.ts";

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

/** The memory descriptors and arrays of one convolution. */
export interface ConvDescs {
  /** x (forward, backward_weights) or dx (backward_data) as TensorFlow.js stores it: NHWC. */
  src: Uint8Array;
  /** y (forward) or dy (backward) as TensorFlow.js stores it: NHWC. */
  dst: Uint8Array;
  /** The layout of x/dx asked of oneDNN: NHWC, or `any` (reorders then convert to and from it). */
  srcWanted: Uint8Array;
  /** The layout of y/dy asked of oneDNN, as `srcWanted`. */
  dstWanted: Uint8Array;
  /** The filter as TensorFlow.js stores it: `hwio`. */
  weightsUser: Uint8Array;
  /** The filter layout asked of oneDNN: `hwio`, or `any` to let it choose (a reorder then converts). */
  weightsWanted: Uint8Array;
  bias: Uint8Array | null;
  strides: BigInt64Array;
  dilates: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
}

/**
 * Builds the memory descriptors of a convolution.
 *
 * @param ctx the oneDNN context
 * @param s the geometry
 * @param weightsTag the filter layout to ask for: `DNNL.tag_any` or `DNNL.tag_hwio`
 * @param activationsTag the layout of x and y to ask for: `DNNL.tag_nhwc` (default) or `DNNL.tag_any`
 * @returns the descriptors
 * @throws {BackendError} when oneDNN rejects a descriptor
 */
export function convDescs(
  ctx: DnnlContext,
  s: ConvSpec,
  weightsTag: number,
  activationsTag: number = DNNL.tag_nhwc,
): ConvDescs {
  const { lib } = ctx;
  const weightDims = [s.outChannels, s.inChannels, s.filterHeight, s.filterWidth];
  const dims = (a: number, b: number) => {
    const out = new BigInt64Array(DNNL.MAX_NDIMS);
    out[0] = BigInt(a);
    out[1] = BigInt(b);
    return out;
  };
  const srcDims = [s.batch, s.inChannels, s.inHeight, s.inWidth];
  const dstDims = [s.batch, s.outChannels, s.outHeight, s.outWidth];
  return {
    src: memoryDesc(lib, srcDims, DNNL.tag_nhwc),
    dst: memoryDesc(lib, dstDims, DNNL.tag_nhwc),
    srcWanted: memoryDesc(lib, srcDims, activationsTag),
    dstWanted: memoryDesc(lib, dstDims, activationsTag),
    weightsUser: memoryDesc(lib, weightDims, DNNL.tag_hwio),
    weightsWanted: memoryDesc(lib, weightDims, weightsTag),
    bias: s.kind === "forward" && s.bias ? memoryDesc(lib, [s.outChannels], DNNL.tag_a) : null,
    strides: dims(s.strideHeight, s.strideWidth),
    // oneDNN counts dilation from 0 (0 = dense), TensorFlow.js from 1.
    dilates: dims(s.dilationHeight - 1, s.dilationWidth - 1),
    padL: dims(s.padTop, s.padLeft),
    padR: dims(s.padBottom, s.padRight),
  };
}

/**
 * Describes a convolution for error messages.
 *
 * @param s the geometry
 * @returns e.g. `forward conv x[1,8,8,3] filter[3,3,3,4] y[1,8,8,4] stride 1x1 pad t1 b1 l1 r1`
 */
export function describeConv(s: ConvSpec): string {
  return `${s.kind} conv x[${s.batch},${s.inHeight},${s.inWidth},${s.inChannels}] ` +
    `filter[${s.filterHeight},${s.filterWidth},${s.inChannels},${s.outChannels}] ` +
    `y[${s.batch},${s.outHeight},${s.outWidth},${s.outChannels}] stride ${s.strideHeight}x${s.strideWidth} ` +
    `pad t${s.padTop} b${s.padBottom} l${s.padLeft} r${s.padRight}`;
}

function forwardOpDesc(ctx: DnnlContext, s: ConvSpec, d: ConvDescs, withBias: boolean): Uint8Array {
  const op = new Uint8Array(DNNL.CONV_DESC_BYTES);
  check(
    ctx.lib.dnnl_dilated_convolution_forward_desc_init(
      op,
      s.kind === "forward" ? DNNL.forward_inference : DNNL.forward_training,
      DNNL.convolution_direct,
      d.srcWanted,
      d.weightsWanted,
      withBias ? d.bias : null,
      d.dstWanted,
      d.strides,
      d.dilates,
      d.padL,
      d.padR,
    ),
    `dnnl_convolution_forward_desc_init for ${describeConv(s)}`,
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

/**
 * Creates a primitive descriptor, with the fused activation as an eltwise post-op and a scratchpad the
 * caller passes to each execution (conv_variant.ts: oneDNN's own would keep the largest one any
 * convolution ever needed, up to 0.6 GiB, for the life of the process).
 */
function primitiveDesc(
  ctx: DnnlContext,
  s: ConvSpec,
  op: Uint8Array,
  hint: Deno.PointerValue,
): Deno.PointerObject {
  const eltwise = s.kind === "forward" ? eltwiseOf(s) : null;
  return createPrimitiveDesc(ctx, op, `primitive for ${describeConv(s)}`, {
    postOps: eltwise ? [{ kind: "eltwise", alg: eltwise[0], alpha: eltwise[1], beta: eltwise[2] }] : [],
    scratchpad: "user",
  }, hint);
}

/**
 * Creates the primitive descriptor of one pass (for backward passes, with a forward hint).
 *
 * @param ctx the oneDNN context
 * @param s the geometry and pass
 * @param d the descriptors
 * @returns the `dnnl_primitive_desc_t`; the caller destroys it
 * @throws {BackendError} when oneDNN has no implementation
 */
export function convPrimitiveDesc(ctx: DnnlContext, s: ConvSpec, d: ConvDescs): Deno.PointerObject {
  const { lib } = ctx;
  if (s.kind === "forward") return primitiveDesc(ctx, s, forwardOpDesc(ctx, s, d, s.bias), null);
  const hint = primitiveDesc(ctx, { ...s, activation: "linear" }, forwardOpDesc(ctx, s, d, false), null);
  try {
    const op = new Uint8Array(DNNL.CONV_DESC_BYTES);
    const status = s.kind === "backward_data"
      ? lib.dnnl_dilated_convolution_backward_data_desc_init(
        op,
        DNNL.convolution_direct,
        d.srcWanted,
        d.weightsWanted,
        d.dstWanted,
        d.strides,
        d.dilates,
        d.padL,
        d.padR,
      )
      : lib.dnnl_dilated_convolution_backward_weights_desc_init(
        op,
        DNNL.convolution_direct,
        d.srcWanted,
        d.weightsWanted,
        null,
        d.dstWanted,
        d.strides,
        d.dilates,
        d.padL,
        d.padR,
      );
    check(status, `dnnl_convolution_${s.kind}_desc_init for ${describeConv(s)}`);
    return primitiveDesc(ctx, s, op, hint);
  } finally {
    lib.dnnl_primitive_desc_destroy(hint);
  }
}
