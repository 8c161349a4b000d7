/**
 * Conv2DBackpropInput for the wasm backend, replacing tfjs-backend-wasm 4.22's own, which runs a naive
 * loop about 10× slower than its forward conv. It is the input gradient of conv2d and the forward pass
 * of conv2dTranspose.
 *
 * Sub-pixel decomposition: the padded input rows `t = m·s + r` receive only the filter taps
 * `p ≡ r (mod s)`, so the gradient splits into s² phase grids, interleaved at the end. A phase grid is
 * computed one of two ways, both on XNNPACK:
 * - "conv": a stride-1 forward conv of dy with the phase's flipped, channel-swapped sub-filter
 *   `w[ry::sh, rx::sw]`. Best when the image is large: the work equals one forward conv.
 * - "matmul": one product `w[kh·kw·Cin, Cout] · dyᵀ[Cout, N·H'·W']` for all taps, then shifted sums
 *   (col2im). Best for small images with many channels (res-blocks at 1/16 scale), where re-packing a
 *   swapped filter would cost as much as the conv.
 *
 * @module
 */
import { tf } from "../tfjs.ts";
import { type ConvGeometry, convGeometry, type ConvGradAttrs, padOrCrop } from "./_conv_geometry.ts";

/** Attributes of Conv2DBackpropInput. */
interface InputGradAttrs extends ConvGradAttrs {
  /** The shape of the conv input whose gradient is computed: `[N, H, W, Cin]`. */
  inputShape: [number, number, number, number];
}

/** How the phase grids are computed (see the module doc). */
export type InputGradientStrategy = "conv" | "matmul";

/** Phase-grid index ranges `[m0, m1)` of rows and of columns. */
type PhaseRanges = [[number, number], [number, number]];

/**
 * The strategy this kernel picks: "matmul" when dy has at most half as many pixels as output channels
 * (measured on wasm: at 1/16 scale it is 4× faster than "conv", at equal counts slower).
 *
 * @param geometry the conv geometry
 * @returns the faster strategy for that geometry on wasm
 */
export function inputGradientStrategy(geometry: ConvGeometry): InputGradientStrategy {
  const pixels = geometry.batch * geometry.outHeight * geometry.outWidth;
  return 2 * pixels <= geometry.outChannels ? "matmul" : "conv";
}

/**
 * The gradient of a conv2d with respect to its input (= conv2dTranspose of dy), from wasm-fast
 * forward ops.
 *
 * @param dy the gradient of the conv output `[N, H', W', Cout]`
 * @param filter the conv filter `[kh, kw, Cin, Cout]`
 * @param geometry the conv geometry (see {@link convGeometry})
 * @param strategy how to compute it; by default {@link inputGradientStrategy}
 * @returns the input gradient `[N, H, W, Cin]`
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  geometry: ConvGeometry,
  strategy: InputGradientStrategy = inputGradientStrategy(geometry),
): tf.Tensor4D {
  const g = geometry;
  return tf.tidy(() => {
    // Phase rows m cover the padded input rows t = m·sh + ry ∈ [padTop, padTop + H).
    const ranges: PhaseRanges = [
      [Math.floor(g.padTop / g.strideHeight), Math.ceil((g.padTop + g.inHeight) / g.strideHeight)],
      [Math.floor(g.padLeft / g.strideWidth), Math.ceil((g.padLeft + g.inWidth) / g.strideWidth)],
    ];
    const phases = strategy === "conv"
      ? convPhases(dy, filter, g, ranges)
      : matMulPhases(dy, filter, g, ranges);
    const [[m0, m1], [n0, n1]] = ranges;
    const full = phases.length === 1
      ? phases[0]
      : interleave(phases, [g.batch, m1 - m0, n1 - n0, g.inChannels], g.strideHeight, g.strideWidth);
    const top = g.padTop - m0 * g.strideHeight;
    const left = g.padLeft - n0 * g.strideWidth;
    if (top === 0 && left === 0 && full.shape[1] === g.inHeight && full.shape[2] === g.inWidth) return full;
    return tf.slice(full, [0, top, left, 0], [g.batch, g.inHeight, g.inWidth, g.inChannels]);
  });
}

/** The number of filter taps `r, r + s, r + 2s, …` below `size`. */
function tapCount(size: number, r: number, stride: number): number {
  return Math.max(0, Math.ceil((size - r) / stride));
}

/**
 * Phase grids `[N, m1-m0, n1-n0, Cin]` in row-major phase order, each a valid stride-1 conv:
 * `z[m] = Σ_a dy[m - a] · w[ry + a·sh]`, i.e. dy against the flipped sub-filter.
 */
function convPhases(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  ranges: PhaseRanges,
): tf.Tensor4D[] {
  const [[m0, m1], [n0, n1]] = ranges;
  const swapped = tf.transpose(filter, [0, 1, 3, 2]); // [kh, kw, Cout, Cin]
  const phases: tf.Tensor4D[] = [];
  for (let ry = 0; ry < g.strideHeight; ry++) {
    for (let rx = 0; rx < g.strideWidth; rx++) {
      const tapsH = tapCount(g.filterHeight, ry, g.strideHeight);
      const tapsW = tapCount(g.filterWidth, rx, g.strideWidth);
      if (tapsH === 0 || tapsW === 0) {
        phases.push(tf.zeros([g.batch, m1 - m0, n1 - n0, g.inChannels]));
        continue;
      }
      const taps: tf.Tensor[] = [];
      for (let a = tapsH - 1; a >= 0; a--) {
        for (let b = tapsW - 1; b >= 0; b--) {
          const begin = [ry + a * g.strideHeight, rx + b * g.strideWidth, 0, 0];
          taps.push(tf.slice(swapped, begin, [1, 1, g.outChannels, g.inChannels]));
        }
      }
      const sub = tf.reshape(tf.concat(taps), [tapsH, tapsW, g.outChannels, g.inChannels]) as tf.Tensor4D;
      // dy rows read: [m0 - tapsH + 1, m1); outside [0, H') they are zeros.
      const rowPad = [tapsH - 1 - m0, m1 - g.outHeight];
      const colPad = [tapsW - 1 - n0, n1 - g.outWidth];
      const cropped = padOrCrop(
        dy,
        [Math.min(0, rowPad[0]), Math.min(0, rowPad[1])],
        [Math.min(0, colPad[0]), Math.min(0, colPad[1])],
      );
      const pad: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [Math.max(0, rowPad[0]), Math.max(0, rowPad[1])],
        [Math.max(0, colPad[0]), Math.max(0, colPad[1])],
        [0, 0],
      ];
      phases.push(tf.conv2d(cropped, sub, 1, pad));
    }
  }
  return phases;
}

/**
 * Phase grids as {@link convPhases}, from one matMul of all taps and shifted sums of its blocks:
 * tap `(ry + a·sh, rx + b·sw)` adds its block at offset `(a, b)` of phase `(ry, rx)`.
 */
function matMulPhases(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  ranges: PhaseRanges,
): tf.Tensor4D[] {
  const [[m0, m1], [n0, n1]] = ranges;
  const pixels = g.batch * g.outHeight * g.outWidth;
  const dyT = tf.transpose(tf.reshape(dy, [pixels, g.outChannels])); // [Cout, N·H'·W']
  const cols = tf.matMul(
    tf.reshape(filter, [g.filterHeight * g.filterWidth * g.inChannels, g.outChannels]),
    dyT,
  );
  const phases: tf.Tensor4D[] = [];
  for (let ry = 0; ry < g.strideHeight; ry++) {
    for (let rx = 0; rx < g.strideWidth; rx++) {
      const parts: tf.Tensor4D[] = [];
      for (let a = 0; a < tapCount(g.filterHeight, ry, g.strideHeight); a++) {
        for (let b = 0; b < tapCount(g.filterWidth, rx, g.strideWidth); b++) {
          const tap = (ry + a * g.strideHeight) * g.filterWidth + rx + b * g.strideWidth;
          const block = tf.slice(cols, [tap * g.inChannels, 0], [g.inChannels, pixels]);
          const grid = tf.reshape(block, [g.inChannels * g.batch, g.outHeight, g.outWidth, 1]) as tf.Tensor4D;
          parts.push(padOrCrop(grid, [a - m0, m1 - g.outHeight - a], [b - n0, n1 - g.outWidth - b]));
        }
      }
      const shape: [number, number, number, number] = [g.batch, m1 - m0, n1 - n0, g.inChannels];
      if (parts.length === 0) {
        phases.push(tf.zeros(shape));
        continue;
      }
      const sum = tf.reshape(tf.addN(parts), [g.inChannels, shape[0] * shape[1] * shape[2]]);
      phases.push(tf.reshape(tf.transpose(sum), shape));
    }
  }
  return phases;
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
function conv2dBackpropInput(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, filter } = args.inputs as unknown as { dy: tf.Tensor4D; filter: tf.Tensor4D };
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
