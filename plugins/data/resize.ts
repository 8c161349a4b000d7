/**
 * Resizing exactly as Pillow's `Image.resize` does it, on CPU typed arrays: NEAREST (used for label and
 * instance maps: any id type) and antialiased BICUBIC (used for 8-bit photos: Pillow's separable
 * convolution with a=-0.5, support scaled by the reduction factor, 22-bit fixed-point weights,
 * horizontal pass then vertical pass, each rounded and clipped to 8 bits).
 *
 * @module
 */
import { emptyLike, type Raster, type RasterData } from "./raster.ts";

/** Pillow's `ImagingScaleAffine` source index for each output index (a pixel-centre mapping). */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const idx = new Int32Array(outSize);
  let pos = scale * 0.5;
  for (let i = 0; i < outSize; i++) {
    idx[i] = Math.min(inSize - 1, Math.max(0, Math.trunc(pos)));
    pos += scale;
  }
  return idx;
}

/**
 * Nearest-neighbour resize with Pillow's `NEAREST` sampling (source = floor((x + 0.5)·in/out)).
 *
 * @param r the raster (any storage type; ids are never blended)
 * @param width output width
 * @param height output height
 * @returns a new raster
 */
export function resizeNearest<D extends RasterData>(r: Raster<D>, width: number, height: number): Raster<D> {
  if (width === r.width && height === r.height) return r;
  const out = emptyLike(r, width, height);
  const xs = nearestIndices(r.width, width), ys = nearestIndices(r.height, height);
  const c = r.channels;
  for (let y = 0; y < height; y++) {
    const srcRow = ys[y] * r.width;
    for (let x = 0; x < width; x++) {
      const src = (srcRow + xs[x]) * c, dst = (y * width + x) * c;
      for (let k = 0; k < c; k++) out.data[dst + k] = r.data[src + k];
    }
  }
  return out;
}

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  ksize: number;
  bounds: Int32Array;
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`. */
function coefficients(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = Math.trunc(
        w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS),
      );
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

/** One separable pass along x (`horizontal`) or y, over the rows `rowOffset…` of `src`. */
function pass(
  src: Raster<Uint8Array>,
  out: Raster<Uint8Array>,
  co: Coeffs,
  horizontal: boolean,
  rowOffset: number,
): void {
  const c = src.channels, half = 1 << (PRECISION_BITS - 1);
  const sums = new Float64Array(c);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const i = horizontal ? x : y;
      const min = co.bounds[i * 2], len = co.bounds[i * 2 + 1], kOff = i * co.ksize;
      sums.fill(half);
      for (let t = 0; t < len; t++) {
        const w = co.weights[kOff + t];
        const s = horizontal ? ((y + rowOffset) * src.width + min + t) * c : ((min + t) * src.width + x) * c;
        for (let k = 0; k < c; k++) sums[k] += src.data[s + k] * w;
      }
      const d = (y * out.width + x) * c;
      for (let k = 0; k < c; k++) out.data[d + k] = clip8(sums[k]);
    }
  }
}

/**
 * Antialiased bicubic resize of an 8-bit raster, bit-exact with Pillow's `Image.resize(size, BICUBIC)`.
 *
 * @param r an 8-bit raster (any number of channels)
 * @param width output width
 * @param height output height
 * @returns a new raster (or `r` itself when the size does not change)
 */
export function resizeBicubic(r: Raster<Uint8Array>, width: number, height: number): Raster<Uint8Array> {
  if (width === r.width && height === r.height) return r;
  const horiz = coefficients(r.width, width);
  const vert = coefficients(r.height, height);
  let cur = r;
  if (width !== r.width) {
    const first = vert.bounds[0];
    const last = vert.bounds[height * 2 - 2] + vert.bounds[height * 2 - 1];
    for (let i = 0; i < height; i++) vert.bounds[i * 2] -= first;
    const tmp = emptyLike(r, width, last - first);
    pass(r, tmp, horiz, true, first);
    cur = tmp;
  }
  if (height !== r.height) {
    const out = emptyLike(r, width, height);
    pass(cur, out, vert, false, 0);
    cur = out;
  }
  return cur;
}
