/**
 * `MaxPoolGrad` (VGG19's pools in the perceptual loss) and `AvgPoolGrad` (the discriminators' input
 * pyramid) on the wasm backend, for float32 NHWC tensors, in place on the heap. tfjs-backend-wasm's
 * own run as scalar loops over every filter tap of every input value: ~95 ms a VGG pool at 512×256,
 * 12 % of a training step where oneDNN does not serve them.
 *
 * Each input pixel gathers, channel row by channel row, the gradients of the windows that contain it,
 * in the order TensorFlow.js's cpu backend adds them and in float64 like it, rounded once: the results
 * equal the cpu backend's bit for bit. A max window passes its gradient to its first largest value
 * (row by row); where windows do not overlap (VGG's pools) each window writes its gradient there as it
 * finds it, otherwise the positions are found first for all windows. An average window spreads its
 * gradient as `1 / (filter area)`, as TensorFlow.js's gradient does (also over padded borders).
 *
 * @module
 */
import { tf } from "../tfjs.ts";
import { heapFloats, isWasmBackend } from "./heap.ts";

/** The pooling gradients this module provides. */
export type PoolGradKernel = "MaxPoolGrad" | "AvgPoolGrad";

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The attributes both pooling gradients take. */
export interface PoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** A pooling's geometry, NHWC, as TensorFlow.js computes it (also oneDNN's pooling gradients' spec). */
export interface PoolGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/**
 * The geometry of a pooling, as TensorFlow.js computes it.
 *
 * @param inShape the input's shape, NHWC
 * @param attrs the kernel's attributes
 * @returns its geometry
 */
export function poolGeometry(inShape: readonly number[], attrs: PoolGradAttrs): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    inShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padBottom: info.padInfo.bottom,
    padLeft: info.padInfo.left,
    padRight: info.padInfo.right,
  };
}

/**
 * For each input index along one axis, the first and last output index (clipped) whose window covers
 * it: `[first0, last0, first1, last1, …]`; an index no window covers has `last < first`.
 */
function windowsOver(size: number, pad: number, filter: number, stride: number, out: number): Int32Array {
  const ranges = new Int32Array(2 * size);
  for (let i = 0; i < size; i++) {
    ranges[2 * i] = Math.max(0, Math.ceil((i + pad - filter + 1) / stride));
    ranges[2 * i + 1] = Math.min(out - 1, Math.floor((i + pad) / stride));
  }
  return ranges;
}

/** Whether no two windows share an input value (so each input value has one gradient term at most). */
function disjoint(g: PoolGeometry): boolean {
  return g.strideHeight >= g.filterHeight && g.strideWidth >= g.filterWidth;
}

/**
 * For each output value of a max pool, the flat index into `x` of its window's first largest value
 * (scanning row by row, as TensorFlow.js does), or −1 where no value exceeds −∞. With `dy` and `dx`
 * (disjoint windows only) it writes the gradient instead: `dx` is zeroed and each window's gradient
 * goes to its position.
 *
 * @param x the pooled input
 * @param g the geometry
 * @param scatter the output's gradient and where to write the input's, or null
 * @returns one index per output value (with `scatter`, only the last window's: one per channel)
 */
export function maxPositions(
  x: Float32Array,
  g: PoolGeometry,
  scatter: { dy: Float32Array; dx: Float32Array } | null = null,
): Int32Array {
  const { channels: c } = g;
  const windows = g.batch * g.outHeight * g.outWidth;
  const positions = new Int32Array(scatter ? c : windows * c);
  const best = new Float32Array(c);
  scatter?.dx.fill(0);
  for (let n = 0, at = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      const top = oh * g.strideHeight - g.padTop;
      const r0 = Math.max(0, top), r1 = Math.min(g.inHeight, top + g.filterHeight);
      for (let ow = 0; ow < g.outWidth; ow++, at += c) {
        const left = ow * g.strideWidth - g.padLeft;
        const c0 = Math.max(0, left), c1 = Math.min(g.inWidth, left + g.filterWidth);
        const p = scatter ? 0 : at;
        best.fill(-Infinity);
        positions.fill(-1, p, p + c);
        for (let r = r0; r < r1; r++) {
          for (let col = c0; col < c1; col++) {
            const from = ((n * g.inHeight + r) * g.inWidth + col) * c;
            for (let k = 0; k < c; k++) {
              const v = x[from + k];
              if (v > best[k]) {
                best[k] = v;
                positions[p + k] = from + k;
              }
            }
          }
        }
        if (scatter) {
          for (let k = 0; k < c; k++) if (positions[k] >= 0) scatter.dx[positions[k]] = scatter.dy[at + k];
        }
      }
    }
  }
  return positions;
}

/**
 * The input gradient of a pooling, gathered: each input value sums the terms of the windows over it,
 * in float64, in TensorFlow.js's order.
 *
 * @param dy the output's gradient
 * @param g the geometry
 * @param dx where to write the input's gradient
 * @param positions for a max pool, {@link maxPositions}; null for an average pool
 */
export function poolGradient(
  dy: Float32Array,
  g: PoolGeometry,
  dx: Float32Array,
  positions: Int32Array | null,
): void {
  const { channels: c } = g;
  const scale = positions === null ? 1 / (g.filterHeight * g.filterWidth) : 1;
  const rows = windowsOver(g.inHeight, g.padTop, g.filterHeight, g.strideHeight, g.outHeight);
  const cols = windowsOver(g.inWidth, g.padLeft, g.filterWidth, g.strideWidth, g.outWidth);
  const sums = new Float64Array(c);
  for (let n = 0; n < g.batch; n++) {
    for (let r = 0; r < g.inHeight; r++) {
      for (let col = 0; col < g.inWidth; col++) {
        const to = ((n * g.inHeight + r) * g.inWidth + col) * c;
        sums.fill(0);
        for (let oh = rows[2 * r]; oh <= rows[2 * r + 1]; oh++) {
          for (let ow = cols[2 * col]; ow <= cols[2 * col + 1]; ow++) {
            const from = ((n * g.outHeight + oh) * g.outWidth + ow) * c;
            if (positions === null) { for (let k = 0; k < c; k++) sums[k] += dy[from + k]; }
            else for (let k = 0; k < c; k++) if (positions[from + k] === to + k) sums[k] += dy[from + k];
          }
        }
        for (let k = 0; k < c; k++) dx[to + k] = sums[k] * scale;
      }
    }
  }
}

/**
 * The kernel config of a pooling gradient on the wasm backend.
 *
 * @param kernelName `MaxPoolGrad` or `AvgPoolGrad`
 * @param previous the config registered before, which runs what this one does not (other dtypes)
 * @returns the config to register
 */
export function poolGradConfig(kernelName: PoolGradKernel, previous?: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName,
    backendName: "wasm",
    setupFunc: previous?.setupFunc,
    disposeFunc: previous?.disposeFunc,
    kernelFunc: (args: KernelArgs) => {
      const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
      const backend = args.backend;
      if (!isWasmBackend(backend) || dy.dtype !== "float32" || input.dtype !== "float32") {
        if (!previous) {
          throw new Error(`no ${kernelName} kernel was registered for the wasm backend before ours`);
        }
        return previous.kernelFunc(args);
      }
      const g = poolGeometry(input.shape, args.attrs as unknown as PoolGradAttrs);
      const expected = [g.batch, g.outHeight, g.outWidth, g.channels];
      if (dy.shape.length !== 4 || dy.shape.some((v, i) => v !== expected[i])) {
        throw new Error(
          `${kernelName}: dy has shape [${dy.shape}] but the pooling's output is [${expected}]`,
        );
      }
      const max = kernelName === "MaxPoolGrad";
      const dx = backend.makeOutput([...input.shape], "float32");
      // views after the allocation: the heap may have grown for it
      const [x, dyValues, dxValues] = [
        heapFloats(backend, input),
        heapFloats(backend, dy),
        heapFloats(backend, dx),
      ];
      if (max && disjoint(g)) maxPositions(x, g, { dy: dyValues, dx: dxValues });
      else poolGradient(dyValues, g, dxValues, max ? maxPositions(x, g) : null);
      return dx;
    },
  };
}
