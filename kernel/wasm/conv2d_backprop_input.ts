/**
 * Conv2DBackpropInput for the wasm backend, replacing tfjs-backend-wasm 4.22's own, which runs a naive
 * loop about 10× slower than its forward conv. It is the input gradient of conv2d and the forward pass
 * of conv2dTranspose.
 *
 * Sub-pixel decomposition: the input rows `t = y + padTop` with `t ≡ r (mod s)` receive only the
 * filter taps `p ≡ r (mod s)`, so each of the s² output phases is a stride-1 forward conv of dy with a
 * flipped, channel-swapped sub-filter `w[ry::sh, rx::sw]`. The phases are interleaved back into a
 * full-resolution grid. Every conv runs on XNNPACK; the total work equals one forward conv.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { convGeometry, type ConvGradAttrs, type ConvGeometry, padOrCrop } from "./_conv_geometry.ts";

/** Attributes of Conv2DBackpropInput. */
interface InputGradAttrs extends ConvGradAttrs {
  /** The shape of the conv input whose gradient is computed: `[N, H, W, Cin]`. */
  inputShape: [number, number, number, number];
}

/**
 * The gradient of a conv2d with respect to its input (= conv2dTranspose of dy), from wasm-fast
 * forward convs.
 *
 * @param dy the gradient of the conv output `[N, H', W', Cout]`
 * @param filter the conv filter `[kh, kw, Cin, Cout]`
 * @param geometry the conv geometry (see {@link convGeometry})
 * @returns the input gradient `[N, H, W, Cin]`
 */
export function conv2dInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, geometry: ConvGeometry): tf.Tensor4D {
  const g = geometry;
  return tf.tidy(() => {
    // Phase rows m cover input rows t = m·sh + ry ∈ [padTop, padTop + H).
    const rows = phaseRange(g.padTop, g.inHeight, g.strideHeight);
    const cols = phaseRange(g.padLeft, g.inWidth, g.strideWidth);
    // [kh·kw, Cout, Cin]: the filter with its channels swapped, taps flattened.
    const swapped = tf.reshape(tf.transpose(filter, [0, 1, 3, 2]), [
      g.filterHeight * g.filterWidth,
      g.outChannels,
      g.inChannels,
    ]) as tf.Tensor3D;
    const phases: tf.Tensor4D[] = [];
    for (let ry = 0; ry < g.strideHeight; ry++) {
      for (let rx = 0; rx < g.strideWidth; rx++) {
        phases.push(phaseGradient(dy, swapped, g, [ry, rx], [rows, cols]));
      }
    }
    const m = rows[1] - rows[0];
    const n = cols[1] - cols[0];
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    const full = phases.length === 1 ? phases[0] : interleave(phases, [g.batch, m, n, g.inChannels], sh, sw);
    const top = g.padTop - rows[0] * sh;
    const left = g.padLeft - cols[0] * sw;
    if (top === 0 && left === 0 && m * sh === g.inHeight && n * sw === g.inWidth) return full;
    return tf.slice(full, [0, top, left, 0], [g.batch, g.inHeight, g.inWidth, g.inChannels]);
  });
}

/** The phase indices `[m0, m1)` whose rows `m·s + r` cover `[pad, pad + size)`. */
function phaseRange(pad: number, size: number, stride: number): [number, number] {
  return [Math.floor(pad / stride), Math.ceil((pad + size) / stride)];
}

/**
 * One phase `(ry, rx)` of the input gradient on the phase grid `[m0, m1) × [n0, n1)`:
 * `z[m] = Σ_a dy[m - a] · w[ry + a·sh]` as a valid stride-1 conv with the flipped sub-filter, gathered
 * from `swapped` (`[kh·kw, Cout, Cin]`).
 */
function phaseGradient(
  dy: tf.Tensor4D,
  swapped: tf.Tensor3D,
  g: ConvGeometry,
  [ry, rx]: [number, number],
  [[m0, m1], [n0, n1]]: [number, number][],
): tf.Tensor4D {
  const tapsH = Math.ceil((g.filterHeight - ry) / g.strideHeight);
  const tapsW = Math.ceil((g.filterWidth - rx) / g.strideWidth);
  if (tapsH <= 0 || tapsW <= 0) return tf.zeros([g.batch, m1 - m0, n1 - n0, g.inChannels]);
  const taps: number[] = []; // flipped: tap (a, b) of the sub-filter is w[ry + sh·(th-1-a), rx + sw·(tw-1-b)]
  for (let a = tapsH - 1; a >= 0; a--) {
    for (let b = tapsW - 1; b >= 0; b--) {
      taps.push((ry + a * g.strideHeight) * g.filterWidth + rx + b * g.strideWidth);
    }
  }
  const sub = tf.reshape(tf.gather(swapped, taps), [tapsH, tapsW, g.outChannels, g.inChannels]) as tf.Tensor4D;
  // dy rows read: [m0 - tapsH + 1, m1); outside [0, H') they are zeros.
  const rowPad: [number, number] = [tapsH - 1 - m0, m1 - g.outHeight];
  const colPad: [number, number] = [tapsW - 1 - n0, n1 - g.outWidth];
  const crop = padOrCrop(dy, [Math.min(0, rowPad[0]), Math.min(0, rowPad[1])], [
    Math.min(0, colPad[0]),
    Math.min(0, colPad[1]),
  ]);
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, rowPad[0]), Math.max(0, rowPad[1])],
    [Math.max(0, colPad[0]), Math.max(0, colPad[1])],
    [0, 0],
  ];
  return tf.conv2d(crop, sub, 1, pad);
}

/**
 * Interleaves s_h·s_w phase grids `[N, M, M', C]` (in row-major phase order) into `[N, M·sh, M'·sw, C]`.
 */
function interleave(phases: tf.Tensor4D[], [n, m, mw, c]: number[], sh: number, sw: number): tf.Tensor4D {
  const stacked = tf.reshape(tf.concat(phases, 3), [n * m, mw, sh, sw * c]); // [N·M, M', sh, sw·C]
  return tf.reshape(tf.transpose(stacked, [0, 2, 1, 3]), [n, m * sh, mw * sw, c]);
}

/**
 * The kernel function registered as Conv2DBackpropInput on wasm.
 *
 * @param args the kernel inputs `{dy, filter}`, attributes and backend
 * @returns the input gradient
 * @throws {BackendError} for the NCHW data format
 */
function conv2dBackpropInput(args: tf.KernelFuncArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
  const attrs = args.attrs as unknown as InputGradAttrs;
  const geometry = convGeometry("Conv2DBackpropInput", attrs.inputShape, filter.shape, attrs);
  return conv2dInputGradient(dy, filter, geometry);
}

/** Kernel config: Conv2DBackpropInput on the wasm backend. */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropInput",
  backendName: "wasm",
  kernelFunc: conv2dBackpropInput,
};
