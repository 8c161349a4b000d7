/**
 * Test helpers: writing small PNG files and temporary dataset folders.
 *
 * @module
 */
import { encode } from "fast-png";
import { dirname, join } from "node:path";

/** The bundled 512×256 Cityscapes sample. */
export const BUNDLED = new URL("../../../datasets/cityscapes", import.meta.url).pathname;
/** The PyTorch parity fixtures. */
export const PARITY = new URL("../../fixtures/pytorch-parity", import.meta.url).pathname;

/**
 * Writes a PNG.
 *
 * @param path where (folders are created)
 * @param width width
 * @param height height
 * @param data samples (Uint16Array for 16-bit)
 * @param channels samples per pixel
 * @returns nothing
 */
export async function writePng(
  path: string,
  width: number,
  height: number,
  data: Uint8Array | Uint16Array,
  channels = 1,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const depth = data instanceof Uint16Array ? 16 : 8;
  await Deno.writeFile(path, encode({ width, height, data, depth, channels }));
}

/**
 * A label map of `width`×`height` whose pixel (x, y) is `f(x, y)`.
 *
 * @param width width
 * @param height height
 * @param f the id of each pixel
 * @param wide 16-bit samples
 * @returns the samples
 */
export function mapOf(width: number, height: number, f: (x: number, y: number) => number, wide = false) {
  const data = wide ? new Uint16Array(width * height) : new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return data;
}

/**
 * Makes a small aligned dataset: labels `class = (x >> 2) % 3`, 16-bit instance ids
 * (class 2 pixels become 2000 + y>>2), RGB photos whose red channel is 100·class.
 *
 * @param root the folder
 * @param names sample names
 * @param size [width, height]
 * @returns the root
 */
export async function makeAligned(root: string, names: string[], size: [number, number] = [16, 8]) {
  const [w, h] = size;
  const cls = (x: number) => (x >> 2) % 3;
  for (const name of names) {
    await writePng(join(root, "train_label", `${name}.png`), w, h, mapOf(w, h, cls));
    await writePng(
      join(root, "train_inst", `${name}.png`),
      w,
      h,
      mapOf(w, h, (x, y) => (cls(x) === 2 ? 2000 + (y >> 2) : cls(x)), true),
    );
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) rgb[i * 3] = 100 * cls(i % w);
    await writePng(join(root, "train_img", `${name}.png`), w, h, rgb, 3);
  }
  return root;
}
