/**
 * Geometry shared by the wasm conv-gradient kernels: the padding a conv used, read the way tfjs reads
 * its attributes, and a pad that also crops (for negative amounts).
 *
 * @module
 */
import { tf } from "../tfjs.ts";
import { BackendError } from "../../kernel/errors.ts";

/** The explicit geometry of a 2-D convolution in NHWC. */
export interface ConvGeometry {
  /** Batch size. */
  batch: number;
  /** Input height and width. */
  inHeight: number;
  inWidth: number;
  /** Output height and width. */
  outHeight: number;
  outWidth: number;
  /** Input and output channels. */
  inChannels: number;
  outChannels: number;
  /** Filter height and width. */
  filterHeight: number;
  filterWidth: number;
  /** Strides. */
  strideHeight: number;
  strideWidth: number;
  /** Zero padding before the first row and column of the input. */
  padTop: number;
  padLeft: number;
}

/** The attributes tfjs passes to Conv2DBackpropInput / Conv2DBackpropFilter. */
export interface ConvGradAttrs {
  /** Strides `[sh, sw]` or one number. */
  strides: [number, number] | number;
  /** "valid", "same", a number, or explicit `[[0,0],[t,b],[l,r],[0,0]]`. */
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  /** "NHWC" (the only layout these kernels support) or "NCHW". */
  dataFormat: "NHWC" | "NCHW";
  /** Rounding of the output size when pad is a number. */
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * Resolves the geometry of a conv from the shapes and attributes tfjs gives a gradient kernel.
 *
 * @param kernel the kernel name, for error messages
 * @param xShape the conv input shape `[N, H, W, Cin]`
 * @param filterShape the filter shape `[kh, kw, Cin, Cout]`
 * @param attrs the kernel attributes
 * @returns the explicit geometry
 * @throws {BackendError} when the data format is not NHWC
 */
export function convGeometry(
  kernel: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvGradAttrs,
): ConvGeometry {
  if (attrs.dataFormat !== "NHWC") {
    throw new BackendError(
      "wasm",
      `${kernel} supports dataFormat "NHWC" only: current value is "${attrs.dataFormat}"`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Zero-pads (positive amounts) or crops (negative amounts) the height and width of an NHWC tensor.
 *
 * @param x the tensor `[N, H, W, C]`
 * @param rows `[top, bottom]` rows to add (negative: to remove)
 * @param cols `[left, right]` columns to add (negative: to remove)
 * @returns a tensor of height `H + top + bottom` and width `W + left + right`
 */
export function padOrCrop(x: tf.Tensor4D, rows: [number, number], cols: [number, number]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(0, -rows[0]);
  const cropLeft = Math.max(0, -cols[0]);
  const keptH = h - cropTop - Math.max(0, -rows[1]);
  const keptW = w - cropLeft - Math.max(0, -cols[1]);
  if (keptH <= 0 || keptW <= 0) {
    return tf.zeros([n, Math.max(0, h + rows[0] + rows[1]), Math.max(0, w + cols[0] + cols[1]), c]);
  }
  const cropped = cropTop === 0 && cropLeft === 0 && keptH === h && keptW === w
    ? x
    : tf.slice(x, [0, cropTop, cropLeft, 0], [n, keptH, keptW, c]);
  const pads: [number, number][] = [
    [0, 0],
    [Math.max(0, rows[0]), Math.max(0, rows[1])],
    [Math.max(0, cols[0]), Math.max(0, cols[1])],
    [0, 0],
  ];
  return pads.every(([a, b]) => a === 0 && b === 0) ? cropped : tf.pad(cropped, pads);
}
