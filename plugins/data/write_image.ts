/**
 * Images out: a generated tensor in [-1, 1] as 8-bit pixels exactly as the official `util.tensor2im`
 * makes them (`(x + 1) / 2 · 255` in float32, clipped to 0…255, truncated), and PNG files.
 *
 * @module
 */
import { encode } from "fast-png";
import { dirname } from "node:path";
import { tf } from "../../backends/tf.ts";
import { writeFileAtomic } from "../../formats/atomic.ts";
import type { Raster } from "./raster.ts";

/**
 * The official `tensor2im` of one image of a batch. Reads the tensor asynchronously (WebGPU cannot
 * read synchronously under Deno).
 *
 * @param image `[N, H, W, C]` values in [-1, 1] (C = 3, or 1; other C: the first channel, as tensor2im does)
 * @param index which image of the batch
 * @returns an 8-bit raster with 3 channels (or 1)
 */
export async function imageToRaster(image: tf.Tensor4D, index = 0): Promise<Raster<Uint8Array>> {
  const [, height, width, c] = image.shape;
  const channels = c === 3 ? 3 : 1;
  const one = tf.slice(image, [index, 0, 0, 0], [1, -1, -1, channels]);
  const data = await one.data() as Float32Array;
  one.dispose();
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.fround(Math.fround(Math.fround(data[i] + 1) / 2) * 255); // float32, as numpy computes it
    out[i] = Math.trunc(Math.min(255, Math.max(0, v)));
  }
  return { width, height, channels, data: out };
}

/**
 * Encodes an 8-bit (or 16-bit, for id maps) raster as PNG bytes.
 *
 * @param raster 1 (grey), 3 (RGB) or 4 (RGBA) channels
 * @returns the PNG file's bytes
 */
export function encodePng(raster: Raster<Uint8Array | Uint16Array>): Uint8Array {
  const depth = raster.data instanceof Uint16Array ? 16 : 8;
  return encode({
    width: raster.width,
    height: raster.height,
    channels: raster.channels,
    depth,
    data: raster.data,
  });
}

/**
 * PNG bytes of one image of a batch (official tensor2im, then PNG).
 *
 * @param image `[N, H, W, C]` values in [-1, 1]
 * @param index which image of the batch
 * @returns the PNG file's bytes
 */
export async function imageToPng(image: tf.Tensor4D, index = 0): Promise<Uint8Array> {
  return encodePng(await imageToRaster(image, index));
}

/**
 * Writes a raster as a PNG file (atomically; folders are created).
 *
 * @param path the PNG path
 * @param raster what to write
 */
export async function writePng(path: string, raster: Raster<Uint8Array | Uint16Array>): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, encodePng(raster));
}
