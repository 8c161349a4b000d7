/**
 * The label-consistency score of synthesized images: does the picture show road where the label map says
 * road, cars where it says car? A per-class appearance model fitted on the real training photos
 * (`appearance_model.ts`) labels every pixel of the image, and the score is the agreement with the label
 * map, counted only where the label map has a class the model knows:
 *
 * - **pixel accuracy**: the share of those pixels whose predicted class is the labelled one;
 * - **mean class accuracy**: the same per class, averaged over the classes present (each class counts
 *   once, so small objects weigh as much as the road).
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import { type AppearanceModel, checkPair, classifyPixels, type LabelledImage } from "./appearance_model.ts";

/** Pixel counts of one class. */
export interface ClassCount {
  /** The class id. */
  id: number;
  /** Labelled pixels of the class. */
  pixels: number;
  /** Of those, how many were predicted as the class. */
  correct: number;
}

/** The agreement counts of one or more images. */
export interface ConsistencyCounts {
  /** Per known class, by id. */
  classes: ClassCount[];
  /** Pixels whose labelled class the model does not know (not scored). */
  unscored: number;
}

/** The label-consistency score. */
export interface LabelConsistency {
  /** Correct / scored pixels (0–1). */
  pixel_accuracy: number;
  /** Mean over the classes present of each class's accuracy (0–1). */
  mean_class_accuracy: number;
  /** Pixels scored. */
  pixels: number;
  /** Pixels left out because the model does not know their class. */
  unscored: number;
  /** Per class present: id, pixels, accuracy. */
  classes: { id: number; pixels: number; accuracy: number }[];
}

/**
 * Counts, for one image, how many pixels of each known class the appearance model assigns to that class.
 *
 * @param model the appearance model fitted on real photos
 * @param pair the image to judge and the label map it should follow
 * @returns the counts
 * @throws {RangeError} when the image and its label map differ in size
 */
export function countConsistency(model: AppearanceModel, pair: LabelledImage): ConsistencyCounts {
  checkPair(pair, "scored image");
  const predicted = classifyPixels(model, pair.image);
  const known = new Map(model.classes.map((c) => [c.id, { id: c.id, pixels: 0, correct: 0 }]));
  let unscored = 0;
  const ids = pair.labels.data;
  for (let p = 0; p < ids.length; p++) {
    const c = known.get(ids[p]);
    if (!c) {
      unscored++;
      continue;
    }
    c.pixels++;
    if (predicted[p] === ids[p]) c.correct++;
  }
  return { classes: [...known.values()].filter((c) => c.pixels > 0), unscored };
}

/**
 * Adds up the counts of several images and turns them into the score.
 *
 * @param counts per image
 * @returns the score over all of them (accuracies 0 when nothing was scored)
 */
export function summarizeConsistency(counts: ConsistencyCounts[]): LabelConsistency {
  const total = new Map<number, ClassCount>();
  let unscored = 0;
  for (const c of counts) {
    unscored += c.unscored;
    for (const k of c.classes) {
      const t = total.get(k.id) ?? { id: k.id, pixels: 0, correct: 0 };
      t.pixels += k.pixels;
      t.correct += k.correct;
      total.set(k.id, t);
    }
  }
  const classes = [...total.values()].sort((a, b) => a.id - b.id);
  const pixels = classes.reduce((a, c) => a + c.pixels, 0);
  const correct = classes.reduce((a, c) => a + c.correct, 0);
  const perClass = classes.map((c) => ({ id: c.id, pixels: c.pixels, accuracy: c.correct / c.pixels }));
  return {
    pixel_accuracy: pixels ? correct / pixels : 0,
    mean_class_accuracy: perClass.length ? perClass.reduce((a, c) => a + c.accuracy, 0) / perClass.length : 0,
    pixels,
    unscored,
    classes: perClass,
  };
}

/**
 * An image of one colour, the size of a label map: the chance baseline of the score.
 *
 * @param labels the label map whose size it takes
 * @param rgb the colour
 * @returns an 8-bit RGB raster
 */
export function constantImage(
  labels: Raster<Int32Array>,
  rgb: readonly [number, number, number],
): Raster<Uint8Array> {
  const data = new Uint8Array(labels.width * labels.height * 3);
  for (let p = 0; p < data.length; p += 3) data.set(rgb, p);
  return { width: labels.width, height: labels.height, channels: 3, data };
}
