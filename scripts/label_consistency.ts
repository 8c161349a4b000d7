/**
 * `deno task label_consistency`: how well a model's synthesized test scenes follow their label maps — a
 * per-class colour/texture classifier fitted on the real training photos labels every synthesized pixel,
 * and the score is its agreement with the label map (pixel and mean class accuracy), beside the same score
 * of real photos (held out) and of a constant image (chance). `weights/README.md` defines it.
 *
 * @module
 */
import { defineCommand, main, UsageError } from "../kernel/cli.ts";
import { defineSchema } from "../kernel/options.ts";
import { CITYSCAPES_PALETTE } from "../plugins/data/palettes/cityscapes.ts";
import { type ConsistencyReport, measureLabelConsistency } from "../plugins/inference/consistency_run.ts";
import type { LabelConsistency } from "../plugins/inference/label_consistency.ts";
import { runtimeSchema } from "../plugins/inference/runtime_options.ts";

const schema = defineSchema({
  weights: {
    type: "string",
    default: "weights/label2city_256p",
    doc: "the model folder (latest_net_G, clusters)",
  },
  dataroot: {
    type: "string",
    default: "datasets/cityscapes",
    doc: "aligned dataset with test_label and train_img",
  },
  width: { type: "int", default: 256, min: 32, doc: "synthesis and scoring width (the demo's)" },
  seed: { type: "int", default: 0, min: 0, doc: "style seed of the synthesized scenes (the demo's is 0)" },
  ignore: {
    type: "string",
    default: "0,1,2,3,4,5,6",
    doc: "class ids not scored (Cityscapes' void classes)",
  },
  per_class: { type: "boolean", default: false, doc: "also list the test scenes' accuracy per class" },
  ...runtimeSchema,
});

function parseIds(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim()).filter(Boolean);
  const ids = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isInteger(ids[i]) || ids[i] < 0);
  if (bad !== undefined) {
    throw new UsageError(`--ignore must be comma-separated class ids: "${bad}" is not one`);
  }
  return ids;
}

function line(what: string, s: LabelConsistency): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`.padStart(7);
  return `${what.padEnd(34)} pixel ${pct(s.pixel_accuracy)}   mean class ${pct(s.mean_class_accuracy)}`;
}

function format(r: ConsistencyReport, perClass: boolean): string {
  const names = CITYSCAPES_PALETTE.names;
  const lines = [
    `label consistency of ${r.weights} at ${r.width} px wide (style seed ${r.seed}); ` +
    `${r.classes_modelled.length} classes modelled`,
    line("test scenes, synthesized", r.test_synthesized),
    line("test scenes, constant (chance)", r.test_constant),
    line("training scenes, re-synthesized", r.train_synthesized),
    line("training photos, held out (real)", r.train_real_held_out),
  ];
  if (perClass) {
    for (const c of r.test_synthesized.classes) {
      lines.push(
        `  ${(names[c.id] ?? String(c.id)).padEnd(16)} ${String(c.pixels).padStart(7)} px  ${
          (100 * c.accuracy).toFixed(1)
        } %`,
      );
    }
  }
  return lines.join("\n");
}

/** The `label_consistency` command. */
export const labelConsistencyCommand = defineCommand({
  name: "label_consistency",
  description: "score how well a model's synthesized test scenes follow their label maps",
  schema,
  json: true,
  examples: [
    "deno task label_consistency",
    "deno task label_consistency --weights weights/label2city_256p --per_class",
    "deno task label_consistency --json",
  ],
  async run(ctx) {
    const o = ctx.options;
    const ignore = parseIds(o.ignore);
    const report = await measureLabelConsistency({ ...o, ignore, log: ctx.log });
    ctx.emit(report, (r) => format(r, o.per_class));
  },
});

if (import.meta.main) await main(labelConsistencyCommand);
