/**
 * An example dataset plugin for a format the project does not ship: one folder of colour-coded label
 * maps `<name>_label.png` (Cityscapes colours, as annotation tools export them) beside the photos
 * `<name>.jpg`, without instance maps. This file is all a new format needs; load it with
 * `--plugin plugins/examples/paired_folder.ts` and every recipe reads it:
 *
 *   deno task train --plugin plugins/examples/paired_folder.ts --dataset paired-folder --dataroot my_pairs/
 *   deno task inspect --plugin plugins/examples/paired_folder.ts --dataroot my_pairs/
 *
 * @module
 */
import { join } from "node:path";
import {
  type DatasetIndex,
  datasetSchema,
  defineDataset,
  defineSchema,
  type Entry,
  loadPalette,
  type Problem,
} from "../../mod.ts";

const LABEL = "_label.png", PHOTO = ".jpg";
const CITYSCAPES = loadPalette("cityscapes");

/** Its options: every dataset option, with the Cityscapes classes and no instance maps by default. */
export const pairedFolderSchema = defineSchema({
  ...datasetSchema,
  label_nc: { type: "int", default: 35, min: 1, doc: "the Cityscapes classes the colours stand for" },
  no_instance: { type: "boolean", default: true, doc: "the format has no instance maps" },
});

function fileNames(root: string): string[] {
  try {
    return [...Deno.readDirSync(root)].filter((e) => e.isFile).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * The pairs in a folder (the phase is not used: the format is one folder).
 *
 * @param opts its options (dataroot)
 * @returns the pairs, and a problem for a folder without label maps or a label map without its photo
 */
export function indexPairedFolder(opts: { dataroot: string | null }): DatasetIndex {
  const root = opts.dataroot ?? ".";
  const files = fileNames(root);
  const photos = new Set(files.filter((f) => f.endsWith(PHOTO)));
  const names = files.filter((f) => f.endsWith(LABEL)).map((f) => f.slice(0, -LABEL.length));
  const problems: Problem[] = [];
  if (!names.length) problems.push({ file: root, message: `has no <name>${LABEL} label maps` });
  const entries: Entry[] = [];
  for (const name of names) {
    const label = join(root, name + LABEL);
    if (photos.has(name + PHOTO)) entries.push({ name, label, image: join(root, name + PHOTO) });
    else problems.push({ file: label, message: `has no photo ${name}${PHOTO} beside it` });
  }
  return {
    entries,
    folders: { label: root, image: root },
    counts: { label: names.length, image: photos.size },
    problems,
  };
}

/** One folder of colour-coded `<name>_label.png` beside `<name>.jpg`. */
export default defineDataset({
  name: "paired-folder",
  description: "one folder of colour-coded <name>_label.png (Cityscapes colours) beside <name>.jpg photos",
  schema: pairedFolderSchema,
  dataset: {
    layout: `<name>${LABEL} beside <name>${PHOTO} in one folder`,
    detect: (root) => fileNames(root).some((f) => f.endsWith(LABEL)),
    index: indexPairedFolder,
    label_nc: 35,
    palette: CITYSCAPES,
    instances: false,
    photos: true,
    features: false,
    labelColors: () => CITYSCAPES,
  },
});
