/**
 * `cityscapes`: the original Cityscapes tree under `dataroot`:
 * `gtFine/{phase}/{city}/*_gtFine_labelIds.png` (labels, 35 channels),
 * `gtFine/{phase}/{city}/*_gtFine_instanceIds.png` (16-bit instance ids class*1000+k) and
 * `leftImg8bit/{phase}/{city}/*_leftImg8bit.png` (photos, read when the folder exists).
 *
 * @module
 */
import { join } from "node:path";
import { defineSchema, type OptionsOf } from "../../../kernel/options.ts";
import { type DatasetPlugin, defineDataset } from "../dataset_plugin.ts";
import { type Folder, isDir, listImages, matchFolders } from "../match_files.ts";
import { CITYSCAPES_PALETTE } from "../palettes/cityscapes.ts";
import { type DatasetIndex, datasetSchema } from "../source.ts";

/** Options of the Cityscapes dataset (label_nc 35 by default). */
export const cityscapesSchema = defineSchema({ ...datasetSchema });

/**
 * Indexes a Cityscapes tree.
 *
 * @param opts dataroot, phase (train, val, test), no_instance
 * @returns the entries, folders and problems
 */
export function indexCityscapes(
  opts: Pick<OptionsOf<typeof cityscapesSchema>, "dataroot" | "phase" | "no_instance">,
): DatasetIndex {
  const root = opts.dataroot ?? ".";
  const gt = join(root, "gtFine", opts.phase), photos = join(root, "leftImg8bit", opts.phase);
  const label: Folder = { role: "label", dir: gt, files: listImages(gt, "_gtFine_labelIds.png") };
  const others: Folder[] = [];
  if (!opts.no_instance) {
    others.push({ role: "inst", dir: gt, files: listImages(gt, "_gtFine_instanceIds.png") });
  }
  if (isDir(photos)) {
    others.push({ role: "image", dir: photos, files: listImages(photos, "_leftImg8bit.png") });
  }
  const { entries, problems, counts } = matchFolders(label, others, "name");
  const folders: Record<string, string> = { label: gt };
  for (const f of others) folders[f.role] = f.dir;
  return { entries, folders, problems, counts };
}

/** The original Cityscapes folder tree, with its palette for display. */
export const cityscapesDataset: DatasetPlugin<typeof cityscapesSchema> = defineDataset({
  name: "cityscapes",
  description: "Cityscapes tree: gtFine/{phase}/{city}/*_labelIds|_instanceIds.png, leftImg8bit/{phase}/…",
  schema: cityscapesSchema,
  dataset: {
    layout: "gtFine/{phase}/{city}/*_gtFine_labelIds.png, leftImg8bit/{phase}/{city}/*_leftImg8bit.png",
    detect: (root) => isDir(join(root, "gtFine")),
    index: indexCityscapes,
    label_nc: 35,
    palette: CITYSCAPES_PALETTE,
    instances: true,
    photos: true,
    features: false,
  },
});

/** Cityscapes' class names and colours, for display. */
export const cityscapesPalette = CITYSCAPES_PALETTE;
