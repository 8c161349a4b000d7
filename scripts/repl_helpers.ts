/**
 * Helpers for working interactively (the REPL): load a scene's label and instance maps as tensors,
 * show a tensor as a picture in the terminal, save one as a PNG, list the registered plugins.
 *
 * Conventions (those of the project): tensors are NHWC with a batch of 1 (or HWC); label and instance
 * maps are int32 `[1,H,W,1]`; photos and generator outputs are float `[1,H,W,3]` in [-1, 1].
 *
 * @module
 */
import { decode, encode } from "fast-png";
import { dirname, join } from "node:path";
import { tf } from "../backends/tf.ts";
import { DataError } from "../kernel/errors.ts";
import { registry } from "../kernel/registry.ts";

/** A scene: its label map and, when there is one, its instance map. */
export interface Scene {
  /** The label map file. */
  labelPath: string;
  /** Class ids, int32 `[1,H,W,1]`. */
  label: tf.Tensor4D;
  /** The instance map file, when found. */
  instPath?: string;
  /** Instance ids (16-bit ids such as 26001 kept), int32 `[1,H,W,1]`. */
  inst?: tf.Tensor4D;
}

async function readIds(path: string): Promise<tf.Tensor4D> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new DataError(path, `cannot read it (${(error as Error).message.split("\n")[0]})`);
  }
  let png;
  try {
    png = decode(bytes);
  } catch (error) {
    throw new DataError(path, `is not a readable PNG (${(error as Error).message})`);
  }
  if (png.channels !== 1 || png.depth < 8) {
    throw new DataError(
      path,
      `is a ${png.channels}-channel ${png.depth}-bit PNG; label and instance maps are 8- or 16-bit ` +
        `single-channel PNGs of ids (convert colour-coded labels with the dataset's palette)`,
    );
  }
  return tf.tensor4d(Int32Array.from(png.data), [1, png.height, png.width, 1], "int32");
}

/**
 * Where a label map's instance map may be, in order: the aligned layout's sibling folder under the same
 * name (`x_label/a.png` → `x_inst/a.png`), then the Cityscapes partner (`*_gtFine_labelIds.png` →
 * `*_gtFine_instanceIds.png`) in that sibling folder and beside the label map (the gtFine tree).
 *
 * @param labelPath the label map
 * @returns the candidate paths, most likely first
 */
export function instanceCandidates(labelPath: string): string[] {
  const dir = dirname(labelPath);
  const name = labelPath.slice(dir.length + 1);
  const partner = /_labelIds\.png$/i.test(name) ? name.replace(/_labelIds\.png$/i, "_instanceIds.png") : null;
  const sibling = dir.endsWith("_label") ? dir.slice(0, -"_label".length) + "_inst" : null;
  const candidates = [
    sibling && join(sibling, name),
    sibling && partner && join(sibling, partner),
    partner && join(dir, partner),
  ];
  return candidates.filter((c): c is string => Boolean(c));
}

/** The first instance map candidate that exists, or undefined. */
async function findInstance(labelPath: string): Promise<string | undefined> {
  for (const candidate of instanceCandidates(labelPath)) {
    if (await Deno.stat(candidate).then((s) => s.isFile).catch(() => false)) return candidate;
  }
  return undefined;
}

/**
 * Loads a scene's label map and its instance map as int32 tensors.
 *
 * @param labelPath the label map (8- or 16-bit greyscale PNG of class ids)
 * @param instPath the instance map; by default the first that exists of {@link instanceCandidates}
 *   (the aligned layout's `_inst` folder, the Cityscapes `_instanceIds.png` partner)
 * @returns the scene (dispose its tensors with `tf.dispose(scene)` when done)
 * @throws {DataError} when a file is missing, not a PNG, not single-channel, or the two sizes differ
 */
export async function loadScene(labelPath: string, instPath?: string): Promise<Scene> {
  const label = await readIds(labelPath);
  const found = instPath ?? await findInstance(labelPath);
  if (!found) return { labelPath, label };
  let inst: tf.Tensor4D;
  try {
    inst = await readIds(found);
  } catch (error) {
    label.dispose();
    throw error;
  }
  if (inst.shape[1] !== label.shape[1] || inst.shape[2] !== label.shape[2]) {
    const size = (t: tf.Tensor4D) => `${t.shape[2]}×${t.shape[1]}`;
    const message = `is ${size(inst)} but its label map ${labelPath} is ${size(label)}; they must match`;
    tf.dispose([label, inst]);
    throw new DataError(found, message);
  }
  return { labelPath, label, instPath: found, inst };
}

/**
 * The colour of a class id in the official generic label colour map (pix2pixHD `util.labelcolormap`
 * for N ≠ 35: the bits of the id spread over r, g, b from the most significant bit down).
 *
 * @param id a class id ≥ 0
 * @returns [r, g, b] in 0..255
 */
export function labelColor(id: number): [number, number, number] {
  let r = 0, g = 0, b = 0;
  for (let j = 0, v = id; j < 7; j++, v >>= 3) {
    r |= (v & 1) << (7 - j);
    g |= ((v >> 1) & 1) << (7 - j);
    b |= ((v >> 2) & 1) << (7 - j);
  }
  return [r, g, b];
}

/** An RGB picture, 8 bits a channel, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

function shape4(x: tf.Tensor, what: string): [number, number, number, number] {
  const s = x.rank === 3 ? [1, ...x.shape] : x.shape;
  if (s.length !== 4 || s[0] !== 1 || (s[3] !== 1 && s[3] !== 3)) {
    throw new TypeError(`${what} needs an [H,W,C] or [1,H,W,C] tensor with C = 1 or 3; got [${x.shape}]`);
  }
  return s as [number, number, number, number];
}

function isIdMap(t: tf.Tensor): boolean {
  return t.dtype === "int32" && t.shape[t.rank - 1] === 1;
}

/**
 * Renders a tensor as RGB bytes: id maps (int32, one channel) in the label colour map, images
 * (float, one or three channels) from [-1, 1] to 0..255, clipped.
 *
 * @param x `[1,H,W,C]` or `[H,W,C]`, C = 1 or 3
 * @param size optional `[height, width]` to resize to (nearest for id maps, bilinear for images)
 * @returns the picture
 * @throws {TypeError} for another shape
 */
export function toRgb(x: tf.Tensor, size?: [number, number]): RgbImage {
  const s = shape4(x, "toRgb");
  const [height, width] = size ?? [s[1], s[2]];
  if (isIdMap(x)) {
    const ids = tf.tidy(() => {
      const t4 = tf.reshape(x, s) as tf.Tensor4D;
      return size ? tf.image.resizeNearestNeighbor(t4, size) : t4;
    });
    const values = ids.dataSync();
    ids.dispose();
    const data = new Uint8Array(width * height * 3);
    values.forEach((id, i) => data.set(labelColor(id), 3 * i));
    return { width, height, data };
  }
  const bytes = tf.tidy(() => {
    const t4 = tf.reshape(tf.cast(x, "float32"), s) as tf.Tensor4D;
    const resized = size ? tf.image.resizeBilinear(t4, size) : t4;
    const rgb = s[3] === 1 ? tf.tile(resized, [1, 1, 1, 3]) : resized;
    return tf.cast(tf.round(tf.clipByValue(tf.mul(tf.add(rgb, 1), 127.5), 0, 255)), "int32");
  });
  const data = Uint8Array.from(bytes.dataSync());
  bytes.dispose();
  return { width, height, data };
}

/**
 * The terminal picture of an RGB image: one character per two pixel rows (upper half block, 24-bit
 * colour escapes).
 *
 * @param image the picture
 * @returns lines joined with "\n"
 */
export function ansiPicture(image: RgbImage): string {
  const { width, height, data } = image;
  const px = (x: number, y: number) =>
    Array.from(data.subarray(3 * (y * width + x), 3 * (y * width + x) + 3));
  const lines: string[] = [];
  for (let y = 0; y < height; y += 2) {
    let line = "";
    for (let x = 0; x < width; x++) {
      const top = px(x, y);
      line += y + 1 < height
        ? `\x1b[38;2;${top.join(";")}m\x1b[48;2;${px(x, y + 1).join(";")}m▀`
        : `\x1b[38;2;${top.join(";")}m\x1b[49m▀`;
    }
    lines.push(line + "\x1b[0m");
  }
  return lines.join("\n");
}

/**
 * Shows a label map, an instance map or an image in the terminal (24-bit colour), scaled to fit.
 *
 * @param x a tensor `[1,H,W,C]`/`[H,W,C]`, or a scene (its label map is shown)
 * @param width the picture's width in characters (default: the terminal's, at most 100)
 * @throws {TypeError} for a tensor of another shape
 */
export function show(x: tf.Tensor | Scene, width?: number): void {
  const t = x instanceof tf.Tensor ? x : x.label;
  const [h, w] = [t.shape[t.rank - 3], t.shape[t.rank - 2]];
  if (Deno.env.get("NO_COLOR")) {
    console.log(`[${t.shape}] ${t.dtype}: NO_COLOR is set, so no picture; save(x, "x.png") writes one`);
    return;
  }
  let columns = 100;
  try {
    columns = Math.min(columns, Deno.consoleSize().columns);
  } catch {
    // not a terminal: keep 100
  }
  const cols = Math.max(1, Math.min(width ?? columns, w));
  const rows = Math.max(1, Math.round((h * cols) / w));
  console.log(ansiPicture(toRgb(t, [rows, cols])));
}

/**
 * Saves a tensor as a PNG. An id map (int32, one channel) is saved as ids — 8-bit greyscale, or
 * 16-bit when an id exceeds 255 (instance ids like 26001 survive) — so it can be loaded back; with
 * `{ colors: true }`, or for an image, as an 8-bit RGB picture.
 *
 * @param x a tensor `[1,H,W,C]`/`[H,W,C]`
 * @param path the PNG to write
 * @param opts `colors`: write an id map's colour picture instead of its ids
 * @returns the path written
 * @throws {TypeError} for a tensor of another shape; {DataError} for an id outside 0..65535
 */
export async function save(x: tf.Tensor, path: string, opts: { colors?: boolean } = {}): Promise<string> {
  const [, height, width] = shape4(x, "save");
  let png: Uint8Array;
  if (isIdMap(x) && !opts.colors) {
    const ids = x.dataSync() as Int32Array;
    const max = ids.reduce((a, b) => Math.max(a, b), 0);
    const min = ids.reduce((a, b) => Math.min(a, b), 0);
    if (min < 0 || max > 65535) {
      throw new DataError(path, `cannot store ids in [${min}, ${max}] in a PNG (0..65535 only)`);
    }
    const data = max > 255 ? Uint16Array.from(ids) : Uint8Array.from(ids);
    png = encode({ width, height, data, channels: 1, depth: max > 255 ? 16 : 8 });
  } else {
    png = encode({ ...toRgb(x), channels: 3, depth: 8 });
  }
  await Deno.writeFile(path, png);
  return path;
}

/**
 * Lists the registered plugins (name, role, description, what they provide), optionally only those of
 * one role or providing one capability.
 *
 * @param filter a role ("dataset", "generator", "loss") or a capability ("netG:local", "loss:gan")
 */
export function plugins(filter?: string): void {
  const list = registry.list().filter((p) => !filter || p.role === filter || p.provides.includes(filter));
  const width = Math.max(0, ...list.map((p) => p.name.length));
  const lines = list.length
    ? list.map((p) =>
      `${p.name.padEnd(width)}  ${p.role.padEnd(13)} ${p.description}` +
      (p.provides.length ? ` [provides ${p.provides.join(", ")}]` : "")
    )
    : [`no plugins registered${filter ? ` with role or capability "${filter}"` : ""} yet`];
  console.log(lines.join("\n"));
}
