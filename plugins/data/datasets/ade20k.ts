/**
 * `ade20k`: the ADE20K SceneParsing release (ADEChallengeData2016) under `dataroot`:
 * `images/{training|validation}/*.jpg` and `annotations/{training|validation}/*.png` (8-bit ids,
 * 0 = "other", 1…150 the classes: label_nc 151). There are no instance maps.
 * phase "train" reads `training`, "val" and "test" read `validation`.
 *
 * @module
 */
import { join } from "node:path";
import { defineSchema, type OptionsOf } from "../../../kernel/options.ts";
import { type DatasetPlugin, defineDataset } from "../dataset_plugin.ts";
import { type Folder, isDir, listImages, matchFolders } from "../match_files.ts";
import { ADE20K_PALETTE } from "../palettes/ade20k.ts";
import { type DatasetIndex, datasetSchema } from "../source.ts";

/** Options of the ADE20K dataset: label_nc 151, no instance maps. */
export const ade20kSchema = defineSchema({
  ...datasetSchema,
  label_nc: { ...datasetSchema.label_nc, default: 151, min: 1, doc: "150 classes + other" },
  no_instance: {
    ...datasetSchema.no_instance,
    default: true,
    doc: "ADE20K SceneParsing has no instance maps",
  },
});

/**
 * Indexes an ADEChallengeData2016 tree.
 *
 * @param opts dataroot and phase
 * @returns the entries, folders and problems
 */
export function indexAde20k(opts: Pick<OptionsOf<typeof ade20kSchema>, "dataroot" | "phase">): DatasetIndex {
  const root = opts.dataroot ?? ".";
  const split = opts.phase === "train" ? "training" : "validation";
  const labelDir = join(root, "annotations", split), imageDir = join(root, "images", split);
  const label: Folder = { role: "label", dir: labelDir, files: listImages(labelDir) };
  const others: Folder[] = isDir(imageDir)
    ? [{ role: "image", dir: imageDir, files: listImages(imageDir) }]
    : [];
  const { entries, problems, counts } = matchFolders(label, others, "name");
  return {
    entries,
    folders: { label: labelDir, ...(others.length ? { image: imageDir } : {}) },
    problems,
    counts,
  };
}

/** ADE20K SceneParsing, with its palette for display. */
export const ade20kDataset: DatasetPlugin<typeof ade20kSchema> = defineDataset({
  name: "ade20k",
  description: "ADE20K SceneParsing: images/{training,validation}/*.jpg, annotations/…/*.png (151 classes)",
  schema: ade20kSchema,
  dataset: {
    layout: "annotations/{training,validation}/*.png, images/{training,validation}/*.jpg",
    detect: (root) => isDir(join(root, "annotations")) && isDir(join(root, "images")),
    index: indexAde20k,
    label_nc: 151,
    palette: ADE20K_PALETTE,
    instances: false,
    photos: true,
    features: false,
  },
});

/** ADE20K's class names and colours, for display. */
export const ade20kPalette = ADE20K_PALETTE;
