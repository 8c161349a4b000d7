/**
 * The gradient of reflect/symmetric padding of NHWC tensors (pixels padded, not batch or channels) as
 * one pass on the wasm heap: dy's interior is copied to x a row at a time, then every border pixel's
 * channel row is added onto the x pixel it was copied from.
 * backends/gradients.ts otherwise folds the borders back with slices, reversals, pads and adds (about ten
 * kernels a padding, each with its own tensor); pix2pixHD pads before most of its convolutions.
 *
 * @module
 */
import type { tf } from "../tfjs.ts";
import { heapFloats, isWasmBackend } from "./heap.ts";
import { MIRROR_PAD_GRAD } from "../gradients.ts";

/** For each padded coordinate along one axis, the source coordinate in x. */
function sourceIndex(n: number, before: number, padded: number, reflect: boolean): Int32Array {
  const out = new Int32Array(padded);
  for (let i = 0; i < padded; i++) {
    let j = i - before;
    if (j < 0) j = reflect ? -j : -j - 1;
    else if (j >= n) j = reflect ? 2 * (n - 1) - j : 2 * n - 1 - j;
    out[i] = j;
  }
  return out;
}

/** Kernel config: our `MirrorPadGrad` (inputs `dy`; attrs `paddings`, `mode`) on the wasm backend. */
export const mirrorPadGradConfig: tf.KernelConfig = {
  kernelName: MIRROR_PAD_GRAD,
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const dy = (inputs as { dy: tf.TensorInfo }).dy;
    const { paddings, mode } = attrs as unknown as { paddings: [number, number][]; mode: string };
    if (!isWasmBackend(backend)) throw new Error(`${MIRROR_PAD_GRAD} runs on the wasm backend only`);
    const [batch, ph, pw, channels] = dy.shape;
    const [, [top, bottom], [left, right]] = paddings;
    const h = ph - top - bottom, w = pw - left - right;
    const dx = backend.makeOutput([batch, h, w, channels], "float32");
    // views after the allocation: the heap may have grown for it
    const src = heapFloats(backend, dy), out = heapFloats(backend, dx);
    const reflect = mode === "reflect";
    const rows = sourceIndex(h, top, ph, reflect), cols = sourceIndex(w, left, pw, reflect);
    const rowFloats = w * channels;
    for (let n = 0; n < batch; n++) {
      // the interior is x itself: one copy a row; then the borders are added onto it
      for (let r = 0; r < h; r++) {
        const from = ((n * ph + r + top) * pw + left) * channels;
        out.set(src.subarray(from, from + rowFloats), (n * h + r) * rowFloats);
      }
      for (let i = 0; i < ph; i++) {
        const xRow = (n * h + rows[i]) * w, dyRow = (n * ph + i) * pw;
        const border = i < top || i >= top + h;
        for (let j = 0; j < pw; j++) {
          if (!border && j === left) j += w; // skip the interior
          if (j >= pw) break;
          const to = (xRow + cols[j]) * channels, from = (dyRow + j) * channels;
          for (let c = 0; c < channels; c++) out[to + c] += src[from + c];
        }
      }
    }
    return dx;
  },
};
