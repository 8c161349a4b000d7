/**
 * Measures the label-consistency score (`label_consistency.ts`) of a model folder on a dataset in the
 * aligned layout: the appearance model is fitted on the training photos, then it judges the model's
 * synthesized test scenes and, for reference, the synthesized training scenes, each real training photo
 * with the appearance model fitted on the other photos (held out: what a real photo scores, the upper
 * reference) and an image of the photos' mean colour (chance).
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import type { Logger } from "../../kernel/log.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { DataError } from "../../kernel/errors.ts";
import { indexAligned } from "../data/datasets/aligned.ts";
import { assertIndexOk } from "../data/source.ts";
import type { Entry } from "../data/sample_reader.ts";
import type { Raster } from "../data/raster.ts";
import { imageToRaster } from "../data/write_image.ts";
import { fitAppearance, type FitOptions, type LabelledImage } from "./appearance_model.ts";
import {
  constantImage,
  countConsistency,
  type LabelConsistency,
  summarizeConsistency,
} from "./label_consistency.ts";
import { openModelFolder } from "./model_folder.ts";
import type { Synthesizer } from "./synthesize.ts";
import type { RuntimeOptions } from "./runtime_options.ts";
import { releaseOnnxGenerators } from "./onnx_generator.ts";

/** Cityscapes' void classes (unlabeled, ego vehicle, rectification border, out of roi, static, dynamic, ground). */
export const CITYSCAPES_VOID = [0, 1, 2, 3, 4, 5, 6] as const;

/** What to measure; `runtime` and `intra_op_threads` (runtime_options.ts) say what runs the generator. */
export interface ConsistencyRunOptions extends Partial<RuntimeOptions> {
  /** The model folder. */
  weights: string;
  /** The dataset (aligned layout, `train_img` needed). */
  dataroot: string;
  /** Width the scenes are synthesized and judged at. */
  width: number;
  /** The style seed of the synthesized scenes. */
  seed: number;
  /** Class ids not scored (default: Cityscapes' void classes). */
  ignore?: readonly number[];
  /** Where progress goes. */
  log?: Logger;
}

/** The scores of one model. */
export interface ConsistencyReport {
  /** The generator's file. */
  weights: string;
  width: number;
  seed: number;
  /** Classes the appearance model knows (enough pixels in the training photos, not ignored). */
  classes_modelled: number[];
  /** The model's synthesized test scenes: the score. */
  test_synthesized: LabelConsistency;
  /** A constant image of the training photos' mean colour on the test label maps: chance. */
  test_constant: LabelConsistency;
  /** The model's re-synthesized training scenes. */
  train_synthesized: LabelConsistency;
  /** The real training photos, each judged by a model fitted on the other photos: the reference. */
  train_real_held_out: LabelConsistency;
}

function entriesOf(dataroot: string, phase: string): Entry[] {
  const index = indexAligned({
    dataroot,
    phase,
    label_nc: 35,
    no_instance: false,
    load_features: false,
    match: "name",
  });
  assertIndexOk(index, dataroot);
  return index.entries;
}

/** The label map, the real photo (when there is one) and the synthesized image of one scene. */
interface Scene {
  labels: Raster<Int32Array>;
  real?: Raster<Uint8Array>;
  synthesized: Raster<Uint8Array>;
}

async function synthesizeScene(synth: Synthesizer, entry: Entry): Promise<Scene> {
  const sample = await synth.prepare(entry);
  try {
    const image = await synth.generateAsync(sample);
    const synthesized = await imageToRaster(image);
    tf.dispose(image);
    const label = sample.label as tf.Tensor4D;
    const [, height, width] = label.shape;
    const labels = { width, height, channels: 1, data: Int32Array.from(await label.data()) };
    const real = sample.image instanceof tf.Tensor
      ? await imageToRaster(sample.image as tf.Tensor4D)
      : undefined;
    return { labels, real, synthesized };
  } finally {
    disposeAll(sample);
  }
}

function meanColour(images: Raster<Uint8Array>[]): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (const im of images) {
    for (let p = 0; p < im.data.length; p += 3) for (let c = 0; c < 3; c++) sum[c] += im.data[p + c];
    n += im.data.length / 3;
  }
  return sum.map((s) => Math.round(s / n)) as [number, number, number];
}

/**
 * Synthesizes the dataset's test and training scenes with a model folder and scores them.
 *
 * @param o the model, the data, the width, the style seed, ignored classes
 * @returns the scores
 * @throws {DataError} when the dataset has no training photos; errors of the model folder and the files
 */
export async function measureLabelConsistency(o: ConsistencyRunOptions): Promise<ConsistencyReport> {
  const model = await openModelFolder(o.weights, o.width, {
    runtime: o.runtime,
    intra_op_threads: o.intra_op_threads,
  });
  const test: Scene[] = [], train: Scene[] = [];
  try {
    const synth = await model.synthesizer(o.seed);
    const tests = entriesOf(o.dataroot, "test"), trains = entriesOf(o.dataroot, "train");
    const progress = o.log?.progress("label consistency", tests.length + trains.length);
    for (const [entries, into] of [[tests, test], [trains, train]] as const) {
      for (const entry of entries) {
        into.push(await synthesizeScene(synth, entry));
        progress?.tick();
      }
    }
    progress?.stop();
  } finally {
    await releaseOnnxGenerators(model.generator);
    model.generator.net.dispose();
  }
  const photos = train.filter((s) => s.real).map((s) => ({ image: s.real!, labels: s.labels }));
  if (photos.length < 2) {
    throw new DataError(
      o.dataroot,
      `needs 2 or more training photos (train_img) to fit the score; has ${photos.length}`,
    );
  }
  const fit: FitOptions = { ignore: o.ignore ?? CITYSCAPES_VOID };
  const appearance = fitAppearance(photos, fit);
  const score = (pairs: LabelledImage[]) =>
    summarizeConsistency(pairs.map((p) => countConsistency(appearance, p)));
  const grey = meanColour(photos.map((p) => p.image));
  return {
    weights: model.weights,
    width: o.width,
    seed: o.seed,
    classes_modelled: appearance.classes.map((c) => c.id),
    test_synthesized: score(test.map((s) => ({ image: s.synthesized, labels: s.labels }))),
    test_constant: score(test.map((s) => ({ image: constantImage(s.labels, grey), labels: s.labels }))),
    train_synthesized: score(train.map((s) => ({ image: s.synthesized, labels: s.labels }))),
    train_real_held_out: summarizeConsistency(
      photos.map((p, i) => countConsistency(fitAppearance(photos.filter((_, j) => j !== i), fit), p)),
    ),
  };
}
