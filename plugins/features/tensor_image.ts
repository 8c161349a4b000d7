/**
 * Network outputs as pictures, the official way (`util.tensor2im`): `(x + 1) / 2 · 255` in float32,
 * clipped to 0…255 and truncated to 8 bits; then PNG bytes through fast-png.
 *
 * @module
 */
import { encode } from "fast-png";
import { tf } from "../../kernel/tf.ts";
import type { Raster } from "../data/raster.ts";

/**
 * The official `tensor2im` of the first image of a batch.
 *
 * @param x `[N, H, W, C]` values in [-1, 1] (C = 1 or 3; other C: the first channel, as tensor2im does)
 * @returns an 8-bit raster (3 channels, or 1)
 */
export async function tensorToRaster(x: tf.Tensor4D): Promise<Raster<Uint8Array>> {
  const [, height, width, c] = x.shape;
  const first = tf.tidy(() => tf.slice(x, [0, 0, 0, 0], [1, -1, -1, c === 3 ? 3 : 1]));
  const data = await first.data() as Float32Array;
  first.dispose();
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.fround(Math.fround(Math.fround(data[i] + 1) / 2) * 255); // float32, as numpy computes it
    out[i] = Math.trunc(Math.min(255, Math.max(0, v)));
  }
  return { width, height, channels: c === 3 ? 3 : 1, data: out };
}

/**
 * PNG bytes of an 8-bit raster (grey or RGB), or of a 16-bit one (ids).
 *
 * @param r the raster
 * @returns the PNG file's bytes
 */
export function rasterToPng(r: Raster<Uint8Array | Uint16Array>): Uint8Array {
  return encode({
    width: r.width,
    height: r.height,
    channels: r.channels,
    depth: r.data instanceof Uint16Array ? 16 : 8,
    data: r.data,
  });
}

/**
 * PNG bytes of the first image of a batch (official tensor2im, then PNG).
 *
 * @param x `[N, H, W, C]` values in [-1, 1]
 * @returns the PNG file's bytes
 */
export async function tensorToPng(x: tf.Tensor4D): Promise<Uint8Array> {
  return rasterToPng(await tensorToRaster(x));
}
