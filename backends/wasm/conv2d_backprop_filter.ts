/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none, so no conv net trains
 * there without it). It also is the filter gradient of conv2dTranspose.
 *
 * A stride-s conv splits into s² stride-1 convs over the s² phases of the padded input
 * (`x[ry::s, rx::s]`). For every filter tap, the gradient is one matrix product
 * `tap[Cin, N·H'·W'] · dy[N·H'·W', Cout]`, where `tap` is a contiguous window of a phase in
 * channel-major layout. The products run on the wasm backend's XNNPACK matMul (dy is the same right-hand
 * side for every tap, packed once), and each window is a contiguous run of memory per channel (the wasm
 * backend slices in JavaScript, row by row), so the kernel runs at about the speed of a forward conv.
 *
 * @module
 */
import { tf } from "../tfjs.ts";
import { type ConvGeometry, convGeometry, type ConvGradAttrs, padOrCrop } from "./_conv_geometry.ts";

/** Attributes of Conv2DBackpropFilter. */
interface FilterGradAttrs extends ConvGradAttrs {
  /** The shape of the filter whose gradient is computed: `[kh, kw, Cin, Cout]`. */
  filterShape: [number, number, number, number];
}

/**
 * The gradient of a conv2d with respect to its filter, from wasm-fast forward ops.
 *
 * @param x the conv input `[N, H, W, Cin]`
 * @param dy the gradient of the conv output `[N, H', W', Cout]`
 * @param geometry the conv geometry (see {@link convGeometry})
 * @returns the filter gradient `[kh, kw, Cin, Cout]`
 */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, geometry: ConvGeometry): tf.Tensor4D {
  const g = geometry;
  return tf.tidy(() => {
    const { phases, width } = channelMajorPhases(x, g); // [sw·Cin, sh·N, Hh·Wh]
    // dy widened to the phase width with zeros, so that a tap's window is a contiguous run of every
    // phase row: window[c, n, i·Wh + j] = phase[c, n, (a + i)·Wh + b + j] (garbage where j ≥ W', × 0).
    const wide = padOrCrop(dy, [0, 0], [0, width - g.outWidth]);
    const rows = g.batch * g.outHeight * width;
    const dy2 = tf.reshape(wide, [rows, g.outChannels]);
    const taps: tf.Tensor2D[] = [];
    for (let p = 0; p < g.filterHeight; p++) {
      for (let q = 0; q < g.filterWidth; q++) {
        const begin = [
          (q % g.strideWidth) * g.inChannels,
          (p % g.strideHeight) * g.batch,
          Math.floor(p / g.strideHeight) * width + Math.floor(q / g.strideWidth),
        ];
        const window = tf.slice(phases, begin, [g.inChannels, g.batch, g.outHeight * width]);
        taps.push(tf.matMul(tf.reshape(window, [g.inChannels, rows]), dy2));
      }
    }
    return tf.reshape(tf.stack(taps), [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]);
  });
}

/**
 * Pads x as the conv did, to a whole number of strides, and splits it into its stride phases in
 * channel-major layout: `out[rx·Cin + c, ry·N + n, i·Wh + j] = xPadded[n, i·sh + ry, j·sw + rx, c]`.
 * Each phase has one spare row at the bottom, which the last tap's window runs into.
 */
function channelMajorPhases(x: tf.Tensor4D, g: ConvGeometry): { phases: tf.Tensor3D; width: number } {
  const phaseHeight = g.outHeight + Math.ceil(g.filterHeight / g.strideHeight);
  const width = g.outWidth + Math.ceil(g.filterWidth / g.strideWidth) - 1;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const n = g.batch;
  const c = g.inChannels;
  const padded = padOrCrop(
    x,
    [g.padTop, phaseHeight * sh - g.inHeight - g.padTop],
    [g.padLeft, width * sw - g.inWidth - g.padLeft],
  );
  // One rank-4 transpose [(n, i), ry, j, (rx, c)] → [(rx, c), ry, (n, i), j]: the wasm backend
  // transposes and slices rank-5 tensors several times slower.
  const split = tf.reshape(padded, [n * phaseHeight, sh, width, sw * c]);
  const phases = tf.reshape(tf.transpose(split, [3, 1, 0, 2]), [sw * c, sh * n, phaseHeight * width]);
  return { phases: phases as tf.Tensor3D, width };
}

/**
 * The kernel function registered as Conv2DBackpropFilter on wasm.
 *
 * @param args the kernel inputs `{x, dy}`, attributes and backend
 * @returns the filter gradient
 * @throws {BackendError} for the NCHW data format
 */
function conv2dBackpropFilter(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.Tensor4D; dy: tf.Tensor4D };
  const attrs = args.attrs as unknown as FilterGradAttrs;
  const geometry = convGeometry("Conv2DBackpropFilter", x.shape, attrs.filterShape, attrs);
  return conv2dFilterGradient(x, dy, geometry);
}

/** Kernel config: Conv2DBackpropFilter on the wasm backend. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2dBackpropFilter,
};
