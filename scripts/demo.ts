/**
 * `deno task demo`: the README's first command. Synthesizes the bundled Cityscapes scenes with the
 * shipped weights, renders several styles of one scene, and writes an HTML report it names at the end.
 *
 * @module
 */
import { defineCommand, main } from "../kernel/cli.ts";
import { defineSchema } from "../kernel/options.ts";
import { runDemo } from "../plugins/inference/demo.ts";
import { datasetOptionSchema } from "../plugins/data/dataset_option.ts";
import { runtimeSchema } from "../plugins/inference/runtime_options.ts";

const schema = defineSchema({
  weights: {
    type: "string",
    default: "weights/label2city_256p",
    doc: "the model folder (latest_net_G, clusters)",
  },
  dataroot: { type: "string", default: "datasets/cityscapes", doc: "the bundled Cityscapes sample" },
  ...datasetOptionSchema,
  out: { type: "string", default: "results/demo", doc: "where the report and images go" },
  width: {
    type: "int",
    default: 256,
    min: 32,
    doc: "synthesis width (the shipped model was trained at 256)",
  },
  how_many: { type: "int", default: 50, min: 1, doc: "at most this many scenes per phase (tests use fewer)" },
  styles: { type: "int", default: 6, min: 1, max: 20, doc: "styles shown for one scene" },
  ...runtimeSchema,
});

/** The `demo` command. */
export const demoCommand = defineCommand({
  name: "demo",
  description: "synthesize the bundled Cityscapes scenes with the shipped weights and write an HTML report",
  schema,
  json: true,
  examples: [
    "deno task demo",
    "deno task demo --out /tmp/demo --how_many 2 --styles 2",
    "deno task demo --runtime onnxruntime",
  ],
  async run(ctx) {
    const result = await runDemo({ ...ctx.options, log: ctx.log, backend: ctx.backend?.name });
    ctx.emit(
      result,
      (r) =>
        `${r.images} images in ${r.seconds.toFixed(1)} s on ${
          r.runtime === "tfjs" ? r.backend : `${r.runtime} (data on ${r.backend})`
        }\nreport: ${r.report}`,
    );
  },
});

if (import.meta.main) await main(demoCommand);
