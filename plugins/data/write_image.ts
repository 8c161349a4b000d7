/**
 * Images out: a generated tensor in [-1, 1] as 8-bit RGB exactly as the official `tensor2im` makes it
 * (`uint8(clip((x + 1) / 2 · 255))`, truncating), and PNG files.
 *
 * @module
 */
import { encode } from "fast-png";
import { dirname } from "node:path";
import { tf } from "../../kernel/tf.ts";
import { writeFileAtomic } from "../../kernel/io/atomic.ts";
import type { Raster } from "./raster.ts";

/**
 * An image in [-1, 1] as 8-bit RGB, as the official `tensor2im` does.
 *
 * @param image `[N, H, W, C]` with C = 1 or 3 (sample `index` of the batch is used)
 * @param index which sample of the batch
 * @returns an 8-bit raster with C channels
 */
export function imageToRaster(image: tf.Tensor4D, index = 0): Raster<Uint8Array> {
  const [, height, width, channels] = image.shape;
  const bytes = tf.tidy(() => {
    const one = tf.slice(image, [index, 0, 0, 0], [1, -1, -1, -1]);
    return tf.cast(tf.clipByValue(tf.mul(tf.add(one, 1), 127.5), 0, 255), "int32");
  });
  const data = Uint8Array.from(bytes.dataSync());
  bytes.dispose();
  return { width, height, channels, data };
}

/**
 * Encodes an 8-bit (or 16-bit) raster as PNG bytes.
 *
 * @param raster 1 (grey), 3 (RGB) or 4 (RGBA) channels
 * @returns the PNG file's bytes
 */
export function encodePng(raster: Raster<Uint8Array | Uint16Array>): Uint8Array {
  const depth = raster.data instanceof Uint16Array ? 16 : 8;
  return encode({ width: raster.width, height: raster.height, channels: raster.channels, depth, data: raster.data });
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
