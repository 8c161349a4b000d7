import assert from "node:assert/strict";
import type { Raster } from "../../../plugins/data/raster.ts";
import { classifyPixels, fitAppearance, pixelFeatures } from "../../../plugins/inference/appearance_model.ts";
import {
  constantImage,
  countConsistency,
  summarizeConsistency,
} from "../../../plugins/inference/label_consistency.ts";

const [SKY, VEGETATION, ROAD, VOID] = [23, 21, 7, 0];
const W = 48, H = 60;

/** Horizontal bands: sky (top), vegetation, road, and a void strip at the bottom. */
function scene(): Raster<Int32Array> {
  const data = new Int32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) data[y * W + x] = y >= 56 ? VOID : y < 20 ? SKY : y < 38 ? VEGETATION : ROAD;
  }
  return { width: W, height: H, channels: 1, data };
}

/** A "photo" of a label map: flat blue sky, green leaves with a checker texture, flat grey road. */
function photo(labels: Raster<Int32Array>, swap = false): Raster<Uint8Array> {
  const data = new Uint8Array(W * H * 3);
  for (let p = 0; p < W * H; p++) {
    const [x, y] = [p % W, Math.floor(p / W)];
    let id = labels.data[p];
    if (swap) id = id === SKY ? ROAD : id === ROAD ? SKY : id;
    const rgb = id === SKY
      ? [110, 150, 230]
      : id === VEGETATION
      ? ((x + y) % 2 ? [40, 120, 30] : [80, 160, 60])
      : id === ROAD
      ? [90, 90, 95]
      : [0, 0, 0];
    data.set(rgb, p * 3);
  }
  return { width: W, height: H, channels: 3, data };
}

Deno.test("pixel features are the box means of a flat image's colour and no texture", () => {
  const flat: Raster<Uint8Array> = { width: 5, height: 4, channels: 3, data: new Uint8Array(60).fill(100) };
  const f = pixelFeatures(flat);
  assert.equal(f.length % 20, 0);
  const perPixel = f.length / 20;
  assert.deepEqual([...f.slice(0, perPixel)].map((v) => Math.round(v * 1e6) / 1e6), [
    ...new Array(9).fill(100),
    ...new Array(perPixel - 9).fill(0),
  ]);
});

Deno.test("the photo the classifier was fitted on scores 1 on the classes it knows; void is not scored", () => {
  const labels = scene();
  const model = fitAppearance([{ image: photo(labels), labels }], { ignore: [VOID] });
  assert.deepEqual(model.classes.map((c) => c.id), [ROAD, VEGETATION, SKY]);
  const s = summarizeConsistency([countConsistency(model, { image: photo(labels), labels })]);
  assert.equal(s.pixel_accuracy, 1);
  assert.equal(s.mean_class_accuracy, 1);
  assert.equal(s.unscored, 4 * W);
  assert.equal(s.pixels, (H - 4) * W);
});

Deno.test("a constant image scores at most one class right; swapped colours score the swapped classes 0", () => {
  const labels = scene();
  const model = fitAppearance([{ image: photo(labels), labels }], { ignore: [VOID] });
  const flat = summarizeConsistency([
    countConsistency(model, { image: constantImage(labels, [90, 90, 95]), labels }),
  ]);
  assert.ok(flat.mean_class_accuracy <= 1 / 3 + 1e-9, String(flat.mean_class_accuracy));
  assert.ok(flat.pixel_accuracy < 0.5, String(flat.pixel_accuracy));
  const swapped = summarizeConsistency([countConsistency(model, { image: photo(labels, true), labels })]);
  const acc = Object.fromEntries(swapped.classes.map((c) => [c.id, c.accuracy]));
  assert.equal(acc[SKY], 0);
  assert.equal(acc[ROAD], 0);
  assert.ok(acc[VEGETATION] > 0.9);
});

Deno.test("the classifier follows colours, not positions", () => {
  const labels = scene();
  const model = fitAppearance([{ image: photo(labels), labels }], { ignore: [VOID] });
  const upsideDown = photo({ ...labels, data: labels.data.slice().reverse() });
  const predicted = classifyPixels(model, upsideDown);
  assert.equal(predicted[10 * W + 20], ROAD);
  assert.equal(predicted[(H - 10) * W + 20], SKY);
});

Deno.test("scores add up the pixels of several images before dividing", () => {
  const s = summarizeConsistency([
    { classes: [{ id: 7, pixels: 10, correct: 10 }], unscored: 1 },
    { classes: [{ id: 7, pixels: 30, correct: 0 }, { id: 26, pixels: 10, correct: 5 }], unscored: 2 },
  ]);
  assert.equal(s.pixel_accuracy, 15 / 50);
  assert.equal(s.mean_class_accuracy, (10 / 40 + 5 / 10) / 2);
  assert.equal(s.unscored, 3);
  assert.deepEqual(summarizeConsistency([]), {
    pixel_accuracy: 0,
    mean_class_accuracy: 0,
    pixels: 0,
    unscored: 0,
    classes: [],
  });
});

Deno.test("an image and a label map of different sizes, or too few pixels of any class, are errors", () => {
  const labels = scene();
  const model = fitAppearance([{ image: photo(labels), labels }]);
  const small: Raster<Uint8Array> = { width: 4, height: 4, channels: 3, data: new Uint8Array(48) };
  assert.throws(
    () => countConsistency(model, { image: small, labels }),
    /scored image: the image is 4×4 but its label map 48×60/,
  );
  assert.throws(
    () => fitAppearance([{ image: photo(labels), labels }], { minPixels: 10_000 }),
    /no class has 10000 or more pixels in the 1 training photos/,
  );
});
