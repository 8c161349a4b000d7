/**
 * What fills the hole an instance leaves when it is removed: its surroundings grow into it. Each pixel
 * of the hole takes the instance id (and class) of the nearest pixel around the hole, by 4-connected
 * steps inside the hole, so a car removed from a road becomes road, and one straddling road and
 * sidewalk becomes road on one side and sidewalk on the other. Stuff (ids < 1000) grows first; parts
 * of the hole that touch no stuff are then filled from the things around them.
 *
 * @module
 */

/**
 * Where each pixel of a hole takes its class and instance from.
 *
 * @param inst the instance map (unchanged)
 * @param width image width
 * @param hole the pixels to fill (ascending raster indices)
 * @returns for each hole pixel, in `hole`'s order, the raster index of the pixel outside the hole it
 *   copies; null when the hole has no surroundings (it covers the whole image)
 */
export function fillFromSurroundings(inst: Int32Array, width: number, hole: Int32Array): Int32Array | null {
  const height = inst.length / width;
  const inHole = new Uint8Array(inst.length);
  for (const p of hole) inHole[p] = 1;
  const fill = new Int32Array(inst.length).fill(-1);
  const neighbours = (p: number): number[] => {
    const x = p % width, out: number[] = [];
    if (x > 0) out.push(p - 1);
    if (x < width - 1) out.push(p + 1);
    if (p >= width) out.push(p - width);
    if (p < (height - 1) * width) out.push(p + width);
    return out;
  };
  const grow = (seed: (id: number) => boolean) => {
    let frontier: number[] = [];
    for (const p of hole) {
      if (fill[p] !== -1) continue;
      const source = neighbours(p).find((q) => !inHole[q] && seed(inst[q]));
      if (source !== undefined) {
        fill[p] = source;
        frontier.push(p);
      }
    }
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const p of frontier) {
        for (const q of neighbours(p)) {
          if (inHole[q] && fill[q] === -1) {
            fill[q] = fill[p];
            next.push(q);
          }
        }
      }
      frontier = next;
    }
  };
  grow((id) => id < 1000);
  grow(() => true);
  const out = new Int32Array(hole.length);
  for (let i = 0; i < hole.length; i++) {
    if (fill[hole[i]] === -1) return null;
    out[i] = fill[hole[i]];
  }
  return out;
}
