/**
 * Convolutions of large images in bands of output rows, for the plain wasm backend. XNNPACK (under
 * tfjs-backend-wasm) builds an indirection buffer of one pointer per output pixel and filter tap for
 * every convolution and keeps it with the cached operator: a 7×7 convolution at 2048×1024 holds 411 MB
 * of the 4 GiB wasm heap for good, and the official 1024p generator ran out of heap at its native size.
 * A band of rows needs a buffer only as large as the band. Each output pixel is computed from the same
 * inputs with the same arithmetic, so the result is the same as one convolution over the whole image.
 *
 * @module
 */
import { activeBackendName } from "../../../backends/select.ts";
import { tf } from "../../../backends/tf.ts";

/** The most bytes of indirection buffer one band may need (output pixels × taps × 4-byte pointers). */
export const BAND_BUFFER_BYTES = 32 * 2 ** 20;

/** A convolution's geometry along the rows. */
export interface RowGeometry {
  /** Input rows. */
  height: number;
  /** Output columns. */
  outWidth: number;
  /** Kernel side. */
  kernel: number;
  /** Stride. */
  stride: number;
  /** Zero padding on each side. */
  padding: number;
}

/** One band: input rows `[start, end)` with `top`/`bottom` rows of zero padding, giving `rows` outputs. */
export interface RowBand {
  start: number;
  end: number;
  top: number;
  bottom: number;
  rows: number;
}

/**
 * Splits a convolution's output rows into bands whose indirection buffers fit {@link BAND_BUFFER_BYTES}.
 *
 * @param g the geometry
 * @param budget bytes of indirection buffer per band
 * @returns the bands, top to bottom (one band when the whole image fits)
 */
export function rowBands(g: RowGeometry, budget = BAND_BUFFER_BYTES): RowBand[] {
  const outHeight = Math.floor((g.height + 2 * g.padding - g.kernel) / g.stride) + 1;
  const perRow = g.outWidth * g.kernel * g.kernel * 4;
  const rowsPerBand = Math.max(1, Math.floor(budget / perRow));
  const bands: RowBand[] = [];
  for (let r0 = 0; r0 < outHeight; r0 += rowsPerBand) {
    const r1 = Math.min(outHeight, r0 + rowsPerBand);
    // output rows [r0, r1) read padded rows [r0·s, (r1-1)·s + k), i.e. input rows shifted by the padding
    const from = r0 * g.stride - g.padding, to = (r1 - 1) * g.stride + g.kernel - g.padding;
    bands.push({
      start: Math.max(0, from),
      end: Math.min(g.height, to),
      top: Math.max(0, -from),
      bottom: Math.max(0, to - g.height),
      rows: r1 - r0,
    });
  }
  return bands;
}

/**
 * Runs a zero-padded convolution over the whole image, in bands of rows on the plain wasm backend when
 * the image is large, and in one call everywhere else.
 *
 * @param x the input `[N, H, W, C]`
 * @param g kernel, stride and padding (height and output width are read from `x`)
 * @param conv the convolution of an input with explicit `[top, bottom]` row padding (columns: `padding`)
 * @returns the output, as one call of `conv` over `x` with `padding` on every side would give it
 */
export function convolveInBands(
  x: tf.Tensor4D,
  g: Omit<RowGeometry, "height" | "outWidth">,
  conv: (x: tf.Tensor4D, rows: [number, number]) => tf.Tensor4D,
): tf.Tensor4D {
  const [, height, width] = x.shape;
  const outWidth = Math.floor((width + 2 * g.padding - g.kernel) / g.stride) + 1;
  const bands = activeBackendName() === "wasm" ? rowBands({ ...g, height, outWidth }) : [];
  if (bands.length <= 1) return conv(x, [g.padding, g.padding]);
  return tf.tidy(() => {
    const parts = bands.map((b) => {
      const rows = tf.slice(x, [0, b.start, 0, 0], [-1, b.end - b.start, -1, -1]);
      const out = conv(rows, [b.top, b.bottom]);
      rows.dispose();
      return out;
    });
    return tf.concat(parts, 1);
  });
}
