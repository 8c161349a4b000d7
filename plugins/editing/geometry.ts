/**
 * Pixel sets for scene edits: brush strokes, masks, instance pixels and bounding boxes. A pixel set is
 * an ascending `Int32Array` of raster indices (`y·width + x`).
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";

/** An axis-aligned box in pixels: left, top, width, height. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A point `[x, y]` in pixels. */
export type Point = readonly [number, number];

function distanceToSegment(px: number, py: number, a: Point, b: Point): number {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / length2));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

/**
 * The pixels a round brush of `radius` covers along a polyline (a single point is a disc): those whose
 * centre is within `radius` of the line.
 *
 * @param width image width
 * @param height image height
 * @param points the stroke's points `[x, y]` (pixel coordinates; the pixel (x, y) has its centre there)
 * @param radius brush radius in pixels (0.5 paints single pixels)
 * @returns the covered pixels inside the image, ascending
 * @throws {RangeError} when there are no points, a point is not two finite numbers, or radius ≤ 0
 */
export function strokePixels(
  width: number,
  height: number,
  points: readonly Point[],
  radius: number,
): Int32Array {
  if (points.length === 0) throw new RangeError("Cannot paint a stroke: it has no points");
  const bad = points.find((p) => !Array.isArray(p) || p.length !== 2 || !p.every(Number.isFinite));
  if (bad) {
    throw new RangeError(
      `Cannot paint a stroke: points must be [x, y]: current value is ${JSON.stringify(bad)}`,
    );
  }
  if (!(radius > 0)) {
    throw new RangeError(`Cannot paint a stroke: radius must be > 0: current value is ${radius}`);
  }
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - radius)),
    x1 = Math.min(width - 1, Math.ceil(Math.max(...xs) + radius));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - radius)),
    y1 = Math.min(height - 1, Math.ceil(Math.max(...ys) + radius));
  const segments: [Point, Point][] = points.length === 1
    ? [[points[0], points[0]]]
    : points.slice(1).map((p, i) => [points[i], p]);
  const out: number[] = [];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (segments.some(([a, b]) => distanceToSegment(x, y, a, b) <= radius)) out.push(y * width + x);
    }
  }
  return Int32Array.from(out);
}

/**
 * The pixels of a mask (non-zero values), shifted by an offset; pixels shifted off the image are dropped.
 *
 * @param mask one value per pixel, row-major, the scene's size
 * @param size the mask's width and height
 * @param scene the scene's width and height (the mask must have the same)
 * @param offset `[dx, dy]` to move the mask by
 * @param file the mask's name, for errors
 * @returns the selected pixels, ascending
 * @throws {DataError} when the mask's size differs from the scene's, or it selects no pixel in the image
 */
export function maskPixels(
  mask: ArrayLike<number>,
  size: { width: number; height: number },
  scene: { width: number; height: number },
  offset: Point = [0, 0],
  file = "mask",
): Int32Array {
  if (
    size.width !== scene.width || size.height !== scene.height || mask.length !== size.width * size.height
  ) {
    throw new DataError(
      file,
      `mask is ${size.width}×${size.height} (${mask.length} values) but the scene is ${scene.width}×${scene.height}: ` +
        `a mask must have the scene's size (move it with an offset)`,
    );
  }
  const [dx, dy] = offset.map(Math.round);
  const out: number[] = [];
  for (let y = Math.max(0, dy); y < Math.min(scene.height, scene.height + dy); y++) {
    for (let x = Math.max(0, dx); x < Math.min(scene.width, scene.width + dx); x++) {
      if (mask[(y - dy) * size.width + (x - dx)] !== 0) out.push(y * scene.width + x);
    }
  }
  if (out.length === 0) {
    throw new DataError(file, `mask selects no pixel inside the scene (offset [${dx}, ${dy}])`);
  }
  return Int32Array.from(out);
}

/**
 * The pixels whose value equals `id`.
 *
 * @param map an id map
 * @param id the id
 * @returns the pixels, ascending
 */
export function pixelsOf(map: Int32Array, id: number): Int32Array {
  const out: number[] = [];
  for (let p = 0; p < map.length; p++) if (map[p] === id) out.push(p);
  return Int32Array.from(out);
}

/**
 * The bounding box of some pixels.
 *
 * @param pixels raster indices (at least one)
 * @param width image width
 * @returns the smallest box holding them
 */
export function boundingBox(pixels: Int32Array, width: number): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of pixels) {
    const x = p % width, y = Math.floor(p / width);
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * A box grown by `margin` on every side, then to multiples of `multiple` where the image allows,
 * and clamped to the image.
 *
 * @param box the box
 * @param margin pixels to add on each side
 * @param image the image's width and height
 * @param multiple the width and height are rounded up to a multiple of this (when the image is large enough)
 * @returns the grown box, inside the image
 */
export function growBox(
  box: Box,
  margin: number,
  image: { width: number; height: number },
  multiple = 1,
): Box {
  const axis = (start: number, length: number, limit: number): [number, number] => {
    const size = Math.min(limit, Math.ceil((length + 2 * margin) / multiple) * multiple);
    const centre = start + length / 2;
    const from = Math.max(0, Math.min(limit - size, Math.round(centre - size / 2)));
    return [from, size];
  };
  const [x, width] = axis(box.x, box.width, image.width);
  const [y, height] = axis(box.y, box.height, image.height);
  return { x, y, width, height };
}
