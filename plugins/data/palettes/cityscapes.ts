/**
 * Cityscapes classes by `labelId` (the ids in `*_gtFine_labelIds.png`, 0…33) with the official colours
 * of cityscapesScripts' `labels.py`. pix2pixHD uses label_nc = 35, so id 34 exists as an unused
 * channel (Cityscapes' "license plate" has id -1 and never appears in labelIds files).
 * Instance ids are `class*1000 + k` for the "thing" classes 24…33.
 *
 * @module
 */
import type { Palette } from "../palette.ts";

/** The 35 Cityscapes label channels pix2pixHD uses, and their display colours. */
export const CITYSCAPES_PALETTE: Palette = {
  name: "cityscapes",
  names: [
    "unlabeled", "ego vehicle", "rectification border", "out of roi", "static", "dynamic", "ground",
    "road", "sidewalk", "parking", "rail track", "building", "wall", "fence", "guard rail", "bridge",
    "tunnel", "pole", "polegroup", "traffic light", "traffic sign", "vegetation", "terrain", "sky",
    "person", "rider", "car", "truck", "bus", "caravan", "trailer", "train", "motorcycle", "bicycle",
    "(unused)",
  ],
  colors: [
    [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [111, 74, 0], [81, 0, 81], [128, 64, 128],
    [244, 35, 232], [250, 170, 160], [230, 150, 140], [70, 70, 70], [102, 102, 156], [190, 153, 153],
    [180, 165, 180], [150, 100, 100], [150, 120, 90], [153, 153, 153], [153, 153, 153], [250, 170, 30],
    [220, 220, 0], [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0],
    [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 0, 90], [0, 0, 110], [0, 80, 100], [0, 0, 230],
    [119, 11, 32], [0, 0, 0],
  ],
};
