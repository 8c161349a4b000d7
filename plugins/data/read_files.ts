/**
 * The `read-files` transform: a sample naming its files (`{ name, entry }`, see `entrySample`) becomes
 * a sample of tensors (`label`, `inst`, `image`, `feat`, `plan`), read and preprocessed as synthesis
 * reads them (the official test-time preprocessing, centre crop, no flip). Colour-coded label maps are
 * read through the `labelColors` fact of the pipeline (its dataset's palette), so a synthesis pipeline
 * reads any dataset's files. Datasets stream their own samples (read ahead in workers); this stage is
 * for files given one by one: a `--label` file, a scene, a demo's picks.
 *
 * @module
 */
import { defineSchema, type OptionsOf } from "../../kernel/options.ts";
import { definePlugin, type Sample, type TransformStage } from "../../kernel/plugin.ts";
import { PipelineError } from "../../kernel/errors.ts";
import { preprocessSchema } from "./preprocess.ts";
import { labelOptionsSchema } from "./label_options.ts";
import type { Palette } from "./palette.ts";
import { type Entry, readRawSample } from "./sample_reader.ts";
import { rawToSample } from "./sample_tensors.ts";

const { resize_or_crop, loadSize, fineSize, none_fit, n_downsample_global } = preprocessSchema;

/** Options of `read-files` (official test flag names and defaults). */
export const readFilesSchema = defineSchema({
  label_nc: labelOptionsSchema.label_nc,
  resize_or_crop,
  loadSize,
  fineSize,
  none_fit,
  n_downsample_global,
  check_inst_ids: {
    type: "boolean",
    default: true,
    doc: "check that 8-bit instance maps have not lost Cityscapes-style ids (class×1000+k)",
  },
});

/** The crop draws of synthesis: the centre window (the official test.py draws a random one), no flip. */
const CENTRE = { x: 0.5, y: 0.5, flip: 0 } as const;

/**
 * A sample naming one entry's files, for `read-files`.
 *
 * @param entry the label map (and instance map, photo, features) of one sample
 * @returns `{ name, entry }`
 */
export function entrySample(entry: Entry): Sample {
  return { name: entry.name, entry };
}

/** Reads `entry`'s files into tensors; gives `label`, `plan` (and `inst`, `image`, `feat` when named). */
export const readFiles = definePlugin({
  name: "read-files",
  role: "transform",
  description: "read a sample's files (`entry`) into tensors, preprocessed as for synthesis",
  provides: ["label", "inst", "image", "plan"],
  schema: readFilesSchema,
  create(o: OptionsOf<typeof readFilesSchema>, ctx): TransformStage {
    const palette = (ctx.facts?.labelColors ?? null) as Palette | null;
    return {
      kind: "transform",
      name: "read-files",
      needs: ["entry"],
      gives: ["name", "labelPath", "plan", "label", "inst", "image", "feat"],
      async apply(sample: Sample): Promise<Sample> {
        const entry = sample.entry as Entry;
        if (typeof entry?.label !== "string") {
          throw new PipelineError(
            `Stage "read-files" needs "entry" with a label file: got ${JSON.stringify(entry)}`,
          );
        }
        const raw = await readRawSample(entry, {
          label_nc: o.label_nc,
          palette,
          check_inst_ids: o.check_inst_ids,
          preprocess: {
            resize_or_crop: o.resize_or_crop,
            loadSize: o.loadSize,
            fineSize: o.fineSize,
            no_flip: true,
            n_downsample_global: o.n_downsample_global,
            netG: "global",
            n_local_enhancers: 1,
            none_fit: o.none_fit,
            fit_every_mode: true,
          },
        }, CENTRE);
        const { entry: _read, ...rest } = sample;
        return { ...rest, ...rawToSample(raw) };
      },
    };
  },
});
