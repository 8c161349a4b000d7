/**
 * `aligned`: the official pix2pixHD folder layout under `dataroot`: `{phase}_label` (class-id maps),
 * `{phase}_inst` (instance maps, unless no_instance), `{phase}_img` (photos, when present),
 * `{phase}_feat` (with load_features); `{phase}_A`/`{phase}_B` when label_nc = 0, with `{phase}_inst`
 * still read unless no_instance (the official AlignedDataset does: the boundary channel is added to
 * the RGB input too). Files pair by name (or by sorted position with match "order").
 *
 * @module
 */
import { join } from "node:path";
import { defineSchema, type OptionsOf } from "../../../kernel/options.ts";
import { type DatasetPlugin, defineDataset } from "../dataset_plugin.ts";
import { type Folder, isDir, listImages, matchFolders } from "../match_files.ts";
import { loadPalette } from "../palettes/mod.ts";
import { type DatasetIndex, datasetSchema } from "../source.ts";

/** Options of the aligned dataset. */
export const alignedSchema = defineSchema({
  ...datasetSchema,
  load_features: { type: "boolean", default: false, doc: "read precomputed feature maps from {phase}_feat" },
  match: {
    type: "enum",
    default: "name",
    choices: ["name", "order"],
    doc: "pair files by name or by sorted position",
  },
  label_palette: {
    type: "string",
    default: null,
    doc: "colour-coded label maps: a palette name (cityscapes, ade20k, helen) or a JSON file of [r,g,b]",
  },
  check_inst_ids: {
    type: "boolean",
    default: true,
    doc: "reject 8-bit instance maps whose ids disagree with labels",
  },
});

/** Resolved aligned-dataset options. */
export type AlignedOptions = OptionsOf<typeof alignedSchema>;

/**
 * Indexes an aligned dataset.
 *
 * @param opts dataset options (dataroot, phase, label_nc, no_instance, load_features, match)
 * @returns the entries, folders and problems
 */
export function indexAligned(
  opts: Pick<AlignedOptions, "dataroot" | "phase" | "label_nc" | "no_instance" | "load_features" | "match">,
): DatasetIndex {
  const root = opts.dataroot ?? ".";
  const dir = (suffix: string) => join(root, `${opts.phase}_${suffix}`);
  const folder = (role: Folder["role"], d: string): Folder => ({ role, dir: d, files: listImages(d) });
  const label = folder("label", dir(opts.label_nc === 0 ? "A" : "label"));
  const others: Folder[] = [];
  if (!opts.no_instance) others.push(folder("inst", dir("inst")));
  const imageDir = dir(opts.label_nc === 0 ? "B" : "img");
  if (isDir(imageDir)) others.push(folder("image", imageDir));
  if (opts.load_features) others.push(folder("feat", dir("feat")));
  const { entries, problems, counts } = matchFolders(label, others, opts.match);
  const folders: Record<string, string> = {};
  for (const f of [label, ...others]) folders[f.role] = f.dir;
  return { entries, folders, problems, counts };
}

/** The official folder layout ({phase}_label, {phase}_inst, {phase}_img, {phase}_feat). */
export const alignedDataset: DatasetPlugin<typeof alignedSchema> = defineDataset({
  name: "aligned",
  description: "pix2pixHD's folder layout: {phase}_label, {phase}_inst, {phase}_img (or {phase}_A/{phase}_B)",
  schema: alignedSchema,
  dataset: {
    layout: "{phase}_label/ (or {phase}_A/), {phase}_inst/, {phase}_img/ (or {phase}_B/)",
    detect: (root, phase) => isDir(join(root, `${phase}_label`)) || isDir(join(root, `${phase}_A`)),
    index: indexAligned,
    label_nc: null,
    palette: null,
    instances: true,
    photos: true,
    features: true,
    labelColors: (opts) => opts.label_palette ? loadPalette(opts.label_palette) : null,
  },
});
