/**
 * The out-of-the-box demo: the shipped weights synthesize the bundled Cityscapes scenes (the test label
 * maps, and the training scenes beside their real photos), one scene is rendered in several styles
 * drawn from the instance-wise feature clusters and edited with the editing API (before/after), and an
 * HTML report shows it all.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../../backends/tf.ts";
import type { Logger } from "../../kernel/log.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { OptionsError } from "../../kernel/errors.ts";
import { datasetOptionsOf, type DatasetPlugin, factsOf } from "../data/dataset_plugin.ts";
import { resolveDataset } from "../data/dataset_option.ts";
import { assertIndexOk } from "../data/source.ts";
import { idsToColors, type Palette } from "../data/palette.ts";
import { labelColormap } from "../data/palettes/label_colormap.ts";
import { imageToRaster, writePng } from "../data/write_image.ts";
import { openModelFolder } from "./model_folder.ts";
import { renderEditSequence } from "./demo_edit.ts";
import { type ReportRow, writeReport } from "./report.ts";
import { type RuntimeOptions, runtimeSchema } from "./runtime_options.ts";
import { releaseOnnxGenerators } from "./onnx_generator.ts";
import { resolveOptions } from "../../kernel/options.ts";

/** What the demo does; `runtime` and `intra_op_threads` (runtime_options.ts) say what runs the generator. */
export interface DemoOptions extends Partial<RuntimeOptions> {
  /** Folder of the shipped model (`latest_net_G.safetensors`, clusters). */
  weights: string;
  /** The scenes (the bundled Cityscapes sample by default). */
  dataroot: string;
  /** Their dataset plugin's name (null: detected from the layout). */
  dataset: string | null;
  /** Plugin modules to load first (a dataset of your own). */
  plugin: readonly string[];
  /** Where the report goes. */
  out: string;
  /** Width the scenes are synthesized at (the shipped model was trained at 256). */
  width: number;
  /** At most this many scenes per phase. */
  how_many: number;
  /** Styles shown for the first test scene. */
  styles: number;
  /** Where progress goes. */
  log: Logger;
  /** The backend's name as selected (oneDNN runs as tfjs's "wasm"). */
  backend?: string;
}

/** What the demo produced. */
export interface DemoResult {
  report: string;
  images: number;
  seconds: number;
  backend: string;
  /** The runtime that ran the generator. */
  runtime: string;
}

/** The first `howMany` scenes of one phase, with what their dataset implies for the synthesizer. */
function scenesOf(dataset: DatasetPlugin, dataroot: string, phase: string, howMany: number, labelNc: number) {
  const opts = datasetOptionsOf(dataset, { dataroot, phase, label_nc: labelNc });
  const index = dataset.dataset.index(opts);
  assertIndexOk(index, dataroot);
  return { entries: index.entries.slice(0, howMany), facts: factsOf(dataset, opts) };
}

function shortName(name: string): string {
  return name.replace(/_gtFine_labelIds$|_leftImg8bit$/, "");
}

/**
 * Runs the demo.
 *
 * @param o weights, data, output folder and sizes
 * @returns the report's path and what it took
 * @throws {CheckpointError}/{OptionsError} when the shipped weights or clusters are missing, or the
 *   dataset has no instance maps; {UsageError} for an unknown dataset
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const start = performance.now();
  const dataset = await resolveDataset({ ...o, phase: "test" });
  if (!dataset.dataset.instances) {
    throw new OptionsError(
      "demo",
      "dataset",
      `needs instance maps (the shipped model reads boundary maps); dataset "${dataset.name}" has none: current value is ${
        JSON.stringify(o.dataset)
      }`,
    );
  }
  const runtime = resolveOptions("demo", runtimeSchema, {
    runtime: o.runtime,
    intra_op_threads: o.intra_op_threads,
  });
  const model = await openModelFolder(o.weights, o.width, runtime);
  const { generator, weights } = model;
  const labelNc = generator.trained.label_nc ?? 35;
  const test = scenesOf(dataset, o.dataroot, "test", o.how_many, labelNc);
  const train = scenesOf(dataset, o.dataroot, "train", o.how_many, labelNc);
  const palette = (test.facts.palette as Palette | null) ?? labelColormap(labelNc);
  const images = join(o.out, "images");
  const rows: ReportRow[] = [];
  let count = 0;
  const scenes = [
    ...test.entries.map((e) => ({ entry: e, phase: "test" })),
    ...train.entries.map((e) => ({ entry: e, phase: "train" })),
  ];
  const styles = model.clusters ? o.styles : 0;
  const progress = o.log.progress("demo", scenes.length + styles + 1);
  const synth = await model.synthesizer(0, test.facts);
  for (const { entry, phase } of scenes) {
    const name = shortName(entry.name);
    const sample = await synth.prepare(entry);
    const image = await synth.generateAsync(sample);
    const [, h, w] = (sample.label as tf.Tensor4D).shape;
    const ids = {
      width: w,
      height: h,
      channels: 1,
      data: Int32Array.from((sample.label as tf.Tensor4D).dataSync()),
    };
    await writePng(join(images, `${name}_label.png`), idsToColors(ids, palette));
    await writePng(join(images, `${name}_synthesized.png`), await imageToRaster(image));
    const row: ReportRow = {
      name: `${name} (${phase})`,
      images: [{ label: "label", src: `images/${name}_label.png` }, {
        label: "synthesized",
        src: `images/${name}_synthesized.png`,
      }],
    };
    if (sample.image instanceof tf.Tensor) {
      await writePng(join(images, `${name}_real.png`), await imageToRaster(sample.image as tf.Tensor4D));
      row.images.push({ label: "real", src: `images/${name}_real.png` });
    }
    rows.push(row);
    count++;
    tf.dispose(image);
    disposeAll(sample);
    progress.tick();
  }
  const styleEntry = scenes[0].entry;
  const styleRow: ReportRow = {
    name: `${shortName(styleEntry.name)}: ${styles} styles from the feature clusters`,
    images: [],
  };
  for (let seed = 1; seed <= styles; seed++) {
    const s = await model.synthesizer(seed, test.facts);
    const result = await s.synthesize(styleEntry);
    const file = `${shortName(styleEntry.name)}_style${seed}.png`;
    await writePng(join(images, file), await imageToRaster(result.image));
    tf.dispose(result.image);
    styleRow.images.push({ label: `style seed ${seed}`, src: `images/${file}` });
    count++;
    progress.tick();
  }
  await releaseOnnxGenerators(generator);
  generator.net.dispose();
  const edit = await renderEditSequence({
    model: o.weights,
    label: styleEntry.label,
    inst: styleEntry.inst!,
    width: o.width,
    images,
    name: shortName(styleEntry.name),
    runtime,
  });
  count += edit.row.images.length;
  progress.tick();
  progress.stop();
  const seconds = (performance.now() - start) / 1000;
  const backend = o.backend ?? tf.getBackend();
  const report = await writeReport(o.out, "pix2pixHD for Deno — demo", [
    ...(styles ? [styleRow] : []),
    edit.row,
    ...rows,
  ], [
    `Weights: ${weights} (trained by our own train on the 8 bundled Cityscapes scenes; see weights/README.md).`,
    `${
      runtime.runtime === "tfjs" ? `Backend: ${backend}` : `Runtime: ${runtime.runtime} (data on ${backend})`
    }. ` +
    `${count} images in ${seconds.toFixed(1)} s at ${o.width} pixels wide.`,
    "Test scenes have no real photo; training scenes show the photo the model learned from.",
  ]);
  return { report, images: count, seconds, backend, runtime: runtime.runtime };
}
