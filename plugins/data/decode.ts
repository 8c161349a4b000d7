/**
 * Decoding image files into rasters: PNG (1/2/4/8/16-bit grey, grey+alpha, palette, RGB, RGBA,
 * interlaced or not) through fast-png, JPEG through imagescript. Like Pillow, the gAMA/cHRM/sRGB/iCCP
 * chunks are ignored, so the pixels are the stored values. 16-bit samples stay unsigned (ids such as
 * 33001 survive). Any decoding failure is a `DataError` naming the file.
 *
 * @module
 */
import { decode as decodePngBytes } from "fast-png";
import { decode as decodeAny } from "imagescript";
import { DataError } from "../../kernel/errors.ts";
import type { Raster } from "./raster.ts";

/** A decoded file: its pixels plus what the file stored (bit depth, palette). */
export interface DecodedImage extends Raster<Uint8Array | Uint16Array> {
  /** Bits per sample in the file (1, 2, 4, 8 or 16). */
  depth: number;
  /** "png" or "jpeg". */
  format: "png" | "jpeg";
  /** For palette PNGs: the RGB(A) colours; `data` then holds palette indices (1 channel). */
  palette?: number[][];
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Unpacks 1/2/4-bit samples (rows padded to whole bytes) into one byte per sample. */
function unpackBits(packed: Uint8Array, width: number, height: number, channels: number, depth: number) {
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = packed[y * rowBytes + (bit >> 3)];
      out[y * perRow + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function decodePng(bytes: Uint8Array, file: string): DecodedImage {
  let png;
  try {
    png = decodePngBytes(bytes, { checkCrc: true });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    const reason = [(error as Error).message, cause?.message].filter(Boolean).join(" ");
    throw new DataError(
      file,
      `is not a readable PNG (${reason}); the file is corrupt or truncated: re-export it`,
    );
  }
  const { width, height, channels, depth } = png;
  const expected = width * height * channels;
  let data: Uint8Array | Uint16Array = png.data instanceof Uint8ClampedArray
    ? new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length)
    : png.data;
  if (depth < 8) {
    if (data.length < Math.ceil((width * channels * depth) / 8) * height) {
      throw new DataError(file, `PNG pixel data is truncated: re-export the file`);
    }
    data = unpackBits(data as Uint8Array, width, height, channels, depth);
  }
  if (data.length < expected) {
    throw new DataError(
      file,
      `PNG pixel data is truncated (${data.length} of ${expected} samples): re-export the file`,
    );
  }
  if (data.length > expected) data = data.subarray(0, expected);
  return { width, height, channels, depth, format: "png", data, palette: png.palette };
}

async function decodeJpeg(bytes: Uint8Array, file: string): Promise<DecodedImage> {
  let img;
  try {
    img = await decodeAny(bytes);
  } catch (error) {
    throw new DataError(
      file,
      `is not a readable JPEG (${(error as Error).message}); the file is corrupt or truncated: re-export it`,
    );
  }
  if (!("bitmap" in img)) throw new DataError(file, "is an animated image; expected a single JPEG frame");
  const { width, height, bitmap } = img;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
    data[i] = bitmap[j];
    data[i + 1] = bitmap[j + 1];
    data[i + 2] = bitmap[j + 2];
  }
  return { width, height, channels: 3, depth: 8, format: "jpeg", data };
}

/**
 * Decodes PNG or JPEG bytes.
 *
 * @param bytes the file's contents
 * @param file the path, named in errors
 * @returns the decoded pixels
 * @throws {DataError} when the file is neither PNG nor JPEG, or is corrupt or truncated
 */
export async function decodeImage(bytes: Uint8Array, file: string): Promise<DecodedImage> {
  if (isPng(bytes)) return decodePng(bytes, file);
  if (isJpeg(bytes)) return await decodeJpeg(bytes, file);
  const what = bytes.length === 0 ? "is empty" : "is neither a PNG nor a JPEG file";
  throw new DataError(file, `${what}: label and instance maps must be PNG, photos PNG or JPEG`);
}

/**
 * Reads and decodes an image file.
 *
 * @param file path to a PNG or JPEG file
 * @returns the decoded pixels
 * @throws {DataError} when the file is missing, unreadable, or not a valid PNG/JPEG
 */
export async function readImageFile(file: string): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "file not found" : (error as Error).message;
    throw new DataError(file, `cannot be read (${reason})`);
  }
  return await decodeImage(bytes, file);
}
