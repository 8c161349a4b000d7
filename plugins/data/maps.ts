/**
 * Turning decoded files into the three kinds of maps pix2pixHD reads: label maps (class ids),
 * instance maps (ids with their full 16-bit range) and photos (8-bit RGB). Each conversion says which
 * file formats it accepts and fails with a `DataError` naming the file and the fix.
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import type { DecodedImage } from "./decode.ts";
import { colorsToIds, type Palette } from "./palette.ts";
import type { Raster } from "./raster.ts";

function firstChannel(img: DecodedImage): Raster<Int32Array> {
  const n = img.width * img.height;
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = img.data[i * img.channels];
  return { width: img.width, height: img.height, channels: 1, data: ids };
}

/**
 * A label map's class ids. Greyscale (8/16-bit; grey+alpha ignores alpha) values are the ids, palette
 * PNGs give their palette indices (as Pillow does), RGB/RGBA images go through `palette`.
 *
 * @param img the decoded label file
 * @param file its path, named in errors
 * @param palette colours of the classes, for colour-coded (RGB) label maps
 * @returns a 1-channel raster of ids
 * @throws {DataError} for an RGB label map without a palette, or colours missing from the palette
 */
export function toLabelIds(img: DecodedImage, file: string, palette?: Palette): Raster<Int32Array> {
  if (img.palette || img.channels <= 2) return firstChannel(img);
  if (!palette) {
    throw new DataError(
      file,
      `label map is ${img.channels === 4 ? "RGBA" : "RGB"} (colour-coded), not greyscale ids: ` +
        `give the dataset's colour palette (option label_palette) or convert it to a greyscale id map`,
    );
  }
  return colorsToIds(img, palette, file);
}

/**
 * An instance map's ids, kept at full precision (16-bit PNG samples are unsigned: 26001 and 33001
 * survive).
 *
 * @param img the decoded instance file
 * @param file its path, named in errors
 * @returns a 1-channel raster of ids
 * @throws {DataError} when the instance map is not a greyscale or palette image
 */
export function toInstanceIds(img: DecodedImage, file: string): Raster<Int32Array> {
  if (img.channels > 2 && !img.palette) {
    throw new DataError(
      file,
      `instance map has ${img.channels} channels; it must be a greyscale id map (16-bit PNG for ` +
        `Cityscapes-style ids class*1000+k)`,
    );
  }
  return firstChannel(img);
}

/**
 * A photo as 8-bit RGB, as Pillow's `convert("RGB")` gives it: grey is replicated, alpha dropped,
 * palette indices looked up, 16-bit samples reduced to their high byte.
 *
 * @param img the decoded photo
 * @returns an RGB raster
 */
export function toRgb(img: DecodedImage): Raster<Uint8Array> {
  const n = img.width * img.height, c = img.channels, d = img.data;
  const shift = img.depth === 16 ? 8 : 0;
  const scale = img.depth < 8 && !img.palette ? 255 / ((1 << img.depth) - 1) : 1;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (img.palette) {
      const color = img.palette[d[i]] ?? [0, 0, 0];
      out[i * 3] = color[0];
      out[i * 3 + 1] = color[1];
      out[i * 3 + 2] = color[2];
    } else if (c <= 2) {
      const v = (d[i * c] >> shift) * scale;
      out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = v;
    } else {
      out[i * 3] = d[i * c] >> shift;
      out[i * 3 + 1] = d[i * c + 1] >> shift;
      out[i * 3 + 2] = d[i * c + 2] >> shift;
    }
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** The class an instance id belongs to, by pix2pixHD's convention: `id < 1000 ? id : floor(id / 1000)`. */
export function classOfInstance(id: number): number {
  return id < 1000 ? id : Math.floor(id / 1000);
}

/**
 * Checks that an 8-bit instance map has not lost its ids: every pixel's class (`classOfInstance`)
 * must equal the label map's pixel. 16-bit maps are not checked (any ids are valid there).
 *
 * @param inst the instance ids
 * @param depth the instance file's bit depth
 * @param label the label ids (same size)
 * @param file the instance file, named in errors
 * @returns nothing
 * @throws {DataError} naming the number of mismatching pixels and the fix
 */
export function checkInstanceDepth(inst: Raster, depth: number, label: Raster, file: string): void {
  if (depth > 8) return;
  let bad = 0, example = -1;
  for (let i = 0; i < inst.data.length; i++) {
    if (classOfInstance(inst.data[i]) !== label.data[i]) {
      bad++;
      if (example < 0) example = i;
    }
  }
  if (bad === 0) return;
  const x = example % inst.width, y = Math.floor(example / inst.width);
  throw new DataError(
    file,
    `instance map is ${depth}-bit and has lost its ids: ${bad} pixel(s) disagree with the label map ` +
      `(e.g. x=${x} y=${y}: instance ${inst.data[example]}, label ${label.data[example]}); ` +
      `re-export it as a 16-bit PNG (Cityscapes *_instanceIds.png), or set no_instance`,
  );
}
