/**
 * Helen face-parsing classes (Smith et al., CVPR 2013 labels `*_lbl00.png` … `*_lbl10.png`).
 * The dataset has no official colour palette; these colours are ours, for display.
 *
 * @module
 */
import type { Palette } from "../palette.ts";

/** The 11 Helen face-parsing classes and display colours. */
export const HELEN_PALETTE: Palette = {
  name: "helen",
  names: [
    "background",
    "face skin",
    "left eyebrow",
    "right eyebrow",
    "left eye",
    "right eye",
    "nose",
    "upper lip",
    "inner mouth",
    "lower lip",
    "hair",
  ],
  colors: [
    [0, 0, 0],
    [255, 204, 153],
    [102, 51, 0],
    [153, 76, 0],
    [0, 102, 255],
    [0, 204, 255],
    [255, 153, 51],
    [204, 0, 51],
    [102, 0, 51],
    [255, 51, 102],
    [51, 25, 0],
  ],
};
