/**
 * The official `labelcolormap(N)` of pix2pixHD's util/util.py: Cityscapes' colours for 35 classes,
 * else the PASCAL VOC bit-interleaved colours. Used to show label maps of any dataset.
 *
 * @module
 */
import type { Palette } from "../palette.ts";
import { CITYSCAPES_PALETTE } from "./cityscapes.ts";

/**
 * The official colour map for `n` classes.
 *
 * @param n number of classes
 * @returns the palette
 */
export function labelColormap(n: number): Palette {
  if (n === 35) return CITYSCAPES_PALETTE;
  const colors: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    let r = 0, g = 0, b = 0, id = i;
    for (let j = 0; j < 7; j++) {
      r ^= (id & 1) << (7 - j);
      g ^= ((id >> 1) & 1) << (7 - j);
      b ^= ((id >> 2) & 1) << (7 - j);
      id >>= 3;
    }
    colors.push([r, g, b]);
  }
  return { name: `labelcolormap(${n})`, colors, names: colors.map((_, i) => `class ${i}`) };
}
