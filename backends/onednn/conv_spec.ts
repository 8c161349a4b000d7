/**
 * Translates TensorFlow.js's convolution geometry (`Conv2DInfo`) to a oneDNN {@link ConvSpec}.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { ConvActivation, ConvKind, ConvSpec } from "./conv_desc.ts";

/**
 * The far-side padding oneDNN needs for TensorFlow.js's output size. oneDNN requires
 * `out = floor((in + padBefore + padAfter - effectiveKernel) / stride) + 1` exactly; TensorFlow.js
 * may pad more than it reads (`same`), or round up (`dimRoundingMode: "ceil"`). Reading beyond the
 * input is zero in both libraries, so the smallest consistent padding gives the same numbers.
 *
 * @param inSize input extent
 * @param outSize output extent TensorFlow.js computed
 * @param kernel filter extent
 * @param dilation dilation (1 = dense)
 * @param stride stride
 * @param padBefore top or left padding
 * @returns the bottom or right padding to give oneDNN (may be negative, always greater than `-stride`)
 */
export function padAfter(
  inSize: number,
  outSize: number,
  kernel: number,
  dilation: number,
  stride: number,
  padBefore: number,
): number {
  const effectiveKernel = (kernel - 1) * dilation + 1;
  return (outSize - 1) * stride + effectiveKernel - inSize - padBefore;
}

/**
 * The oneDNN geometry of a TensorFlow.js convolution.
 *
 * @param kind which pass
 * @param info TensorFlow.js's `computeConv2DInfo` result (NHWC)
 * @param fused forward-only bias and activation
 * @returns the spec
 */
export function convSpecOf(
  kind: ConvKind,
  info: tf.backend_util.Conv2DInfo,
  fused: { bias: boolean; activation: ConvActivation; leakyreluAlpha: number } = {
    bias: false,
    activation: "linear",
    leakyreluAlpha: 0,
  },
): ConvSpec {
  const { padInfo } = info;
  return {
    kind,
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: padInfo.top,
    padLeft: padInfo.left,
    padBottom: padAfter(
      info.inHeight,
      info.outHeight,
      info.filterHeight,
      info.dilationHeight,
      info.strideHeight,
      padInfo.top,
    ),
    padRight: padAfter(
      info.inWidth,
      info.outWidth,
      info.filterWidth,
      info.dilationWidth,
      info.strideWidth,
      padInfo.left,
    ),
    ...fused,
  };
}

/**
 * TensorFlow.js's geometry of a convolution on NHWC tensors.
 *
 * @param xShape the input's shape `[batch, height, width, channels]`
 * @param filterShape `[kh, kw, in, out]`
 * @param attrs strides, padding and rounding as the kernel got them
 * @param dilations dilation (1 unless given)
 * @returns `computeConv2DInfo`'s result
 */
export function nhwcConvInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: {
    strides: number | [number, number];
    pad: tf.Conv2DAttrs["pad"];
    dimRoundingMode?: "floor" | "round" | "ceil";
  },
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}
