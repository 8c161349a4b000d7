/**
 * Colour palettes: class id ↔ RGB colour. Converts colour-coded label images to ids (an error lists
 * every colour that is not in the palette, with its pixel count) and ids to colours for display.
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import type { Raster } from "./raster.ts";

/** A dataset's classes: `colors[id]` is [r, g, b]; `names[id]` the class name. */
export interface Palette {
  /** Dataset name, for messages. */
  name: string;
  colors: readonly (readonly [number, number, number])[];
  names: readonly string[];
}

const hex = (key: number): string => `#${key.toString(16).padStart(6, "0")}`;

/**
 * Converts a colour-coded label image (RGB or RGBA; alpha ignored) to class ids through a palette.
 * When two ids share a colour, the lower id wins.
 *
 * @param image an RGB or RGBA raster (8-bit samples)
 * @param palette the colours of the classes
 * @param file the label image's path, named in errors
 * @returns a 1-channel raster of ids
 * @throws {DataError} listing every colour not in the palette (hex, pixel count, first pixel position)
 */
export function colorsToIds(image: Raster, palette: Palette, file: string): Raster<Int32Array> {
  if (image.channels < 3) {
    throw new DataError(
      file,
      `a colour-coded label map must be RGB or RGBA; it has ${image.channels} channel(s)`,
    );
  }
  const lookup = new Map<number, number>();
  palette.colors.forEach(([r, g, b], id) => {
    const key = (r << 16) | (g << 8) | b;
    if (!lookup.has(key)) lookup.set(key, id);
  });
  const n = image.width * image.height, c = image.channels, d = image.data;
  const ids = new Int32Array(n);
  const unknown = new Map<number, { count: number; first: number }>();
  for (let i = 0; i < n; i++) {
    const key = (d[i * c] << 16) | (d[i * c + 1] << 8) | d[i * c + 2];
    const id = lookup.get(key);
    if (id !== undefined) {
      ids[i] = id;
      continue;
    }
    const u = unknown.get(key);
    if (u) u.count++;
    else unknown.set(key, { count: 1, first: i });
  }
  if (unknown.size > 0) {
    const list = [...unknown.entries()].sort((a, b) => b[1].count - a[1].count);
    const shown = list.slice(0, 10).map(([key, u]) =>
      `${hex(key)} (${u.count} px, first at x=${u.first % image.width} y=${
        Math.floor(u.first / image.width)
      })`
    );
    const more = list.length > 10 ? ` and ${list.length - 10} more` : "";
    throw new DataError(
      file,
      `${list.length} colour(s) are not in the ${palette.name} palette: ${shown.join(", ")}${more}; ` +
        `save the label map without antialiasing/JPEG compression or use the matching palette`,
    );
  }
  return { width: image.width, height: image.height, channels: 1, data: ids };
}

/**
 * Paints class ids with their palette colours (ids outside the palette are black), for display.
 *
 * @param ids a 1-channel raster of class ids
 * @param palette the colours
 * @returns an 8-bit RGB raster
 */
export function idsToColors(ids: Raster, palette: Palette): Raster<Uint8Array> {
  const n = ids.width * ids.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const color = palette.colors[ids.data[i * ids.channels]];
    if (!color) continue;
    out[i * 3] = color[0];
    out[i * 3 + 1] = color[1];
    out[i * 3 + 2] = color[2];
  }
  return { width: ids.width, height: ids.height, channels: 3, data: out };
}
