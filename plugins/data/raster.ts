/**
 * Raster: a decoded image as plain typed arrays (no tensors), so files can be read and preprocessed in a
 * worker and moved to the main thread by transfer. Pixels are row-major, channels interleaved (HWC).
 *
 * @module
 */

/** Pixel storage: 8-bit samples, 16-bit samples (unsigned), or 32-bit ids. */
export type RasterData = Uint8Array | Uint16Array | Int32Array;

/** A decoded image: `height` rows of `width` pixels of `channels` samples. */
export interface Raster<D extends RasterData = RasterData> {
  width: number;
  height: number;
  channels: number;
  data: D;
}

/**
 * An empty raster of the same kind of storage as `like`.
 *
 * @param like a raster whose storage type is copied
 * @param width new width
 * @param height new height
 * @returns a zero-filled raster
 */
export function emptyLike<D extends RasterData>(like: Raster<D>, width: number, height: number): Raster<D> {
  const Ctor = like.data.constructor as new (n: number) => D;
  return { width, height, channels: like.channels, data: new Ctor(width * height * like.channels) };
}

/**
 * Mirrors a raster left-right.
 *
 * @param r the raster
 * @returns a new, flipped raster
 */
export function flipRaster<D extends RasterData>(r: Raster<D>): Raster<D> {
  const out = emptyLike(r, r.width, r.height);
  const c = r.channels;
  for (let y = 0; y < r.height; y++) {
    const row = y * r.width * c;
    for (let x = 0; x < r.width; x++) {
      const src = row + x * c, dst = row + (r.width - 1 - x) * c;
      for (let k = 0; k < c; k++) out.data[dst + k] = r.data[src + k];
    }
  }
  return out;
}

/**
 * Crops `width`×`height` pixels at (`x0`, `y0`) like PIL's `Image.crop`: parts outside the source are 0.
 *
 * @param r the raster
 * @param x0 left column (may be outside the image)
 * @param y0 top row
 * @param width crop width
 * @param height crop height
 * @returns a new raster
 */
export function cropRaster<D extends RasterData>(
  r: Raster<D>,
  x0: number,
  y0: number,
  width: number,
  height: number,
): Raster<D> {
  const out = emptyLike(r, width, height);
  const c = r.channels;
  const xs = Math.max(0, -x0), xe = Math.min(width, r.width - x0);
  for (let y = 0; y < height; y++) {
    const sy = y + y0;
    if (sy < 0 || sy >= r.height || xe <= xs) continue;
    const from = (sy * r.width + x0 + xs) * c;
    out.data.set(r.data.subarray(from, from + (xe - xs) * c), (y * width + xs) * c);
  }
  return out;
}

/**
 * Pads a raster on the right and bottom by mirroring (without repeating the edge row/column when the
 * image is large enough, else repeating the edge), so a generator sees plausible context there.
 *
 * @param r the raster
 * @param width new width (≥ r.width)
 * @param height new height (≥ r.height)
 * @returns a new raster whose top-left r.width×r.height pixels are `r`
 */
export function padRaster<D extends RasterData>(r: Raster<D>, width: number, height: number): Raster<D> {
  const out = emptyLike(r, width, height);
  const c = r.channels;
  const mirror = (i: number, n: number): number => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const m = i % period;
    return m < n ? m : period - m;
  };
  for (let y = 0; y < height; y++) {
    const sy = mirror(y, r.height);
    for (let x = 0; x < width; x++) {
      const sx = mirror(x, r.width);
      const src = (sy * r.width + sx) * c, dst = (y * width + x) * c;
      for (let k = 0; k < c; k++) out.data[dst + k] = r.data[src + k];
    }
  }
  return out;
}

/**
 * The transferable buffers of some rasters (for `postMessage`).
 *
 * @param rasters rasters, undefined ones skipped
 * @returns their ArrayBuffers
 */
export function buffersOf(...rasters: (Raster | undefined)[]): ArrayBuffer[] {
  return rasters.filter((r): r is Raster => r !== undefined).map((r) => r.data.buffer as ArrayBuffer);
}
