/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none, so no conv net trains
 * there without it). It also is the filter gradient of conv2dTranspose.
 *
 * A stride-s conv splits into s² stride-1 convs over the s² phases of the padded input
 * (`x[ry::s, rx::s]`). For every filter tap, the gradient is one matrix product
 * `tap[Cin, N·H'·W'] · dy[N·H'·W', Cout]`, where `tap` is a contiguous window of a phase in
 * channel-major layout. The products run on the wasm backend's XNNPACK matMul (dy is the same right-hand
 * side for every tap), so the kernel runs at roughly the speed of a forward conv.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { convGeometry, type ConvGradAttrs, type ConvGeometry, padOrCrop } from "./_conv_geometry.ts";

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
    const phases = channelMajorPhases(x, g); // [sw·Cin, sh·N, Hh, Wh]
    const rows = g.batch * g.outHeight * g.outWidth;
    const dy2 = tf.reshape(dy, [rows, g.outChannels]);
    const taps: tf.Tensor2D[] = [];
    for (let p = 0; p < g.filterHeight; p++) {
      for (let q = 0; q < g.filterWidth; q++) {
        const begin = [
          (q % g.strideWidth) * g.inChannels,
          (p % g.strideHeight) * g.batch,
          Math.floor(p / g.strideHeight),
          Math.floor(q / g.strideWidth),
        ];
        const window = tf.slice(phases, begin, [g.inChannels, g.batch, g.outHeight, g.outWidth]);
        taps.push(tf.matMul(tf.reshape(window, [g.inChannels, rows]), dy2));
      }
    }
    return tf.reshape(tf.stack(taps), [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]);
  });
}

/**
 * Pads x as the conv did, to a whole number of strides, and splits it into its stride phases in
 * channel-major layout: `out[rx·Cin + c, ry·N + n, i, j] = xPadded[n, i·sh + ry, j·sw + rx, c]`.
 */
function channelMajorPhases(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const phaseHeight = g.outHeight + Math.ceil(g.filterHeight / g.strideHeight) - 1;
  const phaseWidth = g.outWidth + Math.ceil(g.filterWidth / g.strideWidth) - 1;
  const height = phaseHeight * g.strideHeight;
  const width = phaseWidth * g.strideWidth;
  const padded = padOrCrop(
    x,
    [g.padTop, height - g.inHeight - g.padTop],
    [g.padLeft, width - g.inWidth - g.padLeft],
  );
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const n = g.batch;
  const c = g.inChannels;
  // One rank-4 transpose [(n, i), ry, j, (rx, c)] → [(rx, c), ry, (n, i), j]: the wasm backend
  // transposes and slices rank-5 tensors several times slower.
  const split = tf.reshape(padded, [n * phaseHeight, sh, phaseWidth, sw * c]);
  const phases = tf.transpose(split, [3, 1, 0, 2]);
  return tf.reshape(phases, [sw * c, sh * n, phaseHeight, phaseWidth]); // [rx, c] × [ry, n] × Hh × Wh
}

/**
 * The kernel function registered as Conv2DBackpropFilter on wasm.
 *
 * @param args the kernel inputs `{x, dy}`, attributes and backend
 * @returns the filter gradient
 * @throws {BackendError} for the NCHW data format
 */
function conv2dBackpropFilter(args: tf.KernelFuncArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
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
