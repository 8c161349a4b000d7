/**
 * `helen`: the Helen face-parsing release (SmithCVPR2013_dataset_resized) under `dataroot`:
 * `images/{name}.jpg`, `labels/{name}/{name}_lbl00.png` … `_lbl10.png` (one soft mask per class; the
 * label is the per-pixel argmax, ties to the lower class), and the split lists `exemplars.txt` (train),
 * `tuning.txt` (val), `testing.txt` (test) with lines "index , name". Without a split list every image
 * is used. 11 classes, no instance maps.
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import { defineSchema, type OptionsOf } from "../../../kernel/options.ts";
import { type DatasetPlugin, defineDataset } from "../dataset_plugin.ts";
import { isDir, listImages } from "../match_files.ts";
import { HELEN_PALETTE } from "../palettes/helen.ts";
import type { Entry } from "../sample_reader.ts";
import { type DatasetIndex, datasetSchema, type Problem } from "../source.ts";

/** Options of the Helen dataset: label_nc 11, no instance maps. */
export const helenSchema = defineSchema({
  ...datasetSchema,
  label_nc: { ...datasetSchema.label_nc, default: 11, min: 1, doc: "Helen's 11 face-parsing classes" },
  no_instance: { ...datasetSchema.no_instance, default: true, doc: "Helen has no instance maps" },
});

const SPLIT_FILES: Record<string, string> = {
  train: "exemplars.txt",
  val: "tuning.txt",
  test: "testing.txt",
};
const CLASSES = 11;

function splitNames(root: string, phase: string): Set<string> | null {
  const file = SPLIT_FILES[phase];
  if (!file) return null;
  try {
    const lines = Deno.readTextFileSync(join(root, file)).split(/\r?\n/);
    return new Set(lines.map((l) => l.split(",").pop()!.trim()).filter(Boolean));
  } catch {
    return null;
  }
}

/**
 * Indexes a Helen tree.
 *
 * @param opts dataroot and phase
 * @returns the entries (label = the mask folder, labelMasks = its 11 masks), folders and problems
 */
export function indexHelen(opts: Pick<OptionsOf<typeof helenSchema>, "dataroot" | "phase">): DatasetIndex {
  const root = opts.dataroot ?? ".";
  const imageDir = join(root, "images"), labelDir = join(root, "labels");
  const problems: Problem[] = [];
  const names = splitNames(root, opts.phase);
  const images = listImages(imageDir).filter((f) => !names || names.has(basename(f, extname(f))));
  if (!isDir(labelDir)) {
    problems.push({ file: labelDir, message: "does not exist: Helen's masks go in labels/{name}/" });
  }
  if (images.length === 0) {
    problems.push({
      file: imageDir,
      message: `has no images${names ? ` listed in ${SPLIT_FILES[opts.phase]}` : ""}`,
    });
  }
  const entries: Entry[] = [];
  for (const image of images) {
    const name = basename(image, extname(image));
    const dir = join(labelDir, name);
    const masks = Array.from(
      { length: CLASSES },
      (_, k) => join(dir, `${name}_lbl${String(k).padStart(2, "0")}.png`),
    );
    const missing = masks.filter((m) => {
      try {
        return !Deno.statSync(m).isFile;
      } catch {
        return true;
      }
    });
    if (missing.length) {
      if (isDir(labelDir)) {
        problems.push({
          file: image,
          message: `has no mask(s) ${missing.map((m) => basename(m)).join(", ")} in ${dir}`,
        });
      }
      continue;
    }
    entries.push({ name, label: dir, labelMasks: masks, image });
  }
  const counts = { label: entries.length, image: images.length };
  return { entries, folders: { label: labelDir, image: imageDir }, problems, counts };
}

/** Helen face parsing, with a palette for display. */
export const helenDataset: DatasetPlugin<typeof helenSchema> = defineDataset({
  name: "helen",
  description: "Helen face parsing: images/*.jpg, labels/{name}/{name}_lbl00…10.png, 11 classes",
  schema: helenSchema,
  dataset: {
    layout: "images/*.jpg, labels/{name}/{name}_lbl00.png … _lbl10.png",
    detect: (root) => isDir(join(root, "labels")) && isDir(join(root, "images")),
    index: indexHelen,
    label_nc: CLASSES,
    palette: HELEN_PALETTE,
    instances: false,
    photos: true,
    features: false,
  },
});

/** Helen's class names and colours, for display. */
export const helenPalette = HELEN_PALETTE;
