import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { SceneRenderer } from "../../../plugins/editing/renderer.ts";
import { edges, H, testScene, W } from "./_scene.ts";

await tf.setBackend("cpu");

/** A tiny random global generator for label_nc 35 + edge + feat_num 2. */
function tinyGenerator() {
  const g = new GlobalGenerator({
    input_nc: 38,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    seed: 1,
  });
  return { g, synthesize: (x: tf.Tensor4D) => g.apply(x) };
}

function same(a: tf.Tensor, b: tf.Tensor): boolean {
  const x = a.dataSync(), y = b.dataSync();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("input() is concat(one-hot, boundaries, features) of the scene", async () => {
  const scene = testScene();
  const renderer = new SceneRenderer(scene, (x) => x);
  const input = await renderer.input();
  assert.deepEqual(input.shape, [1, H, W, 38]);
  const values = input.dataSync(), edge = edges(scene.inst), feat = scene.featureData();
  for (let p = 0; p < W * H; p++) {
    for (let c = 0; c < 35; c++) assert.equal(values[p * 38 + c], c === scene.label[p] ? 1 : 0);
    assert.equal(values[p * 38 + 35], edge[p]);
    assert.equal(values[p * 38 + 36], feat[p * 2]);
    assert.equal(values[p * 38 + 37], feat[p * 2 + 1]);
  }
  input.dispose();
  renderer.dispose();
});

Deno.test("render() runs the generator only for states it has not rendered (undo hits the cache)", async () => {
  const { g, synthesize } = tinyGenerator();
  const before = tf.memory().numTensors;
  const scene = testScene(2);
  const renderer = new SceneRenderer(scene, synthesize, { multiple: 4 });
  const first = await renderer.render();
  tf.dispose([await renderer.render()]);
  assert.equal(renderer.calls, 1);
  scene.setStyle(26001, 1);
  const styled = await renderer.render();
  assert.equal(renderer.calls, 2);
  scene.undo();
  const back = await renderer.render();
  assert.equal(renderer.calls, 2);
  assert.ok(same(back, first));
  assert.ok(!same(styled, first));
  tf.dispose([first, styled, back]);
  renderer.dispose();
  assert.equal(tf.memory().numTensors, before);
  g.dispose();
});

Deno.test("different styles give different images; the same style gives the same image", async () => {
  const { g, synthesize } = tinyGenerator();
  const images: tf.Tensor4D[] = [];
  for (const cluster of [0, 1, 0]) {
    const scene = testScene(0);
    scene.setStyle(26001, cluster);
    const renderer = new SceneRenderer(scene, synthesize);
    images.push(await renderer.render());
    renderer.dispose();
  }
  assert.ok(same(images[0], images[2]));
  assert.ok(!same(images[0], images[1]));
  tf.dispose(images);
  g.dispose();
});

Deno.test("previewStyles() shows every cluster of the instance's class side by side", async () => {
  const { g, synthesize } = tinyGenerator();
  const before = tf.memory().numTensors;
  const scene = testScene(0);
  const renderer = new SceneRenderer(scene, synthesize, { multiple: 4 });
  const strip = await renderer.previewStyles(26001, { margin: 1, context: "full" });
  assert.deepEqual(strip.shape, [1, 5, 15, 3]); // box 3×3 + 1 margin → 5×5, three car clusters
  assert.equal(renderer.calls, 3);
  // "full" previews are exact: crop k equals the render with cluster k, cropped
  for (let k = 0; k < 3; k++) {
    scene.setStyle(26001, k);
    const full = await renderer.render();
    const crop = tf.slice(full, [0, 3, 1, 0], [1, 5, 5, 3]);
    const part = tf.slice(strip, [0, 0, 5 * k, 0], [1, 5, 5, 3]);
    assert.ok(same(crop, part), `cluster ${k}`);
    tf.dispose([full, crop, part]);
  }
  const crops = tf.split(strip, 3, 2);
  assert.ok(!same(crops[0], crops[1]) && !same(crops[1], crops[2]));
  tf.dispose([strip, ...crops]);
  renderer.dispose();
  assert.equal(tf.memory().numTensors, before);
  g.dispose();
});

Deno.test("crop previews synthesize a window around the instance and are cached per state", async () => {
  const seen: number[][] = [];
  const { g, synthesize } = tinyGenerator();
  const scene = testScene(0);
  const renderer = new SceneRenderer(scene, (x) => {
    seen.push(x.shape.slice(1, 3));
    return synthesize(x);
  }, { multiple: 4 });
  const strip = await renderer.previewStyles(24000, { margin: 0, context_px: 3 });
  assert.deepEqual(strip.shape, [1, 3, 1, 3]); // the person is 1×3 and has one cluster
  assert.deepEqual(seen, [[8, 8]]); // width 1 + 2·3 rounded to 8 of the scene's 12
  tf.dispose(await renderer.previewStyles(24000, { margin: 0, context_px: 3 }));
  assert.equal(renderer.calls, 1);
  await assert.rejects(
    renderer.previewStyles(23),
    /23 \(class sky\) has no styles to preview: its class has no clusters/,
  );
  tf.dispose(strip);
  renderer.dispose();
  g.dispose();
});

Deno.test("render() rejects a generator output of the wrong size", async () => {
  const renderer = new SceneRenderer(testScene(), (x) => tf.slice(x, [0, 0, 0, 0], [1, 4, 4, 3]));
  await assert.rejects(renderer.render(), /synthesize returned \[1, 4, 4, 3\] for an input of 12×8/);
  renderer.dispose();
});
