import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { CheckpointError } from "../../../kernel/errors.ts";
import type { NdArray } from "../../../formats/ndarray.ts";
import { randomVgg19StateDict, Vgg19Features } from "../../../plugins/losses/vgg19.ts";
import { vggLoss, vggLossPlugin } from "../../../plugins/losses/vgg_loss.ts";

await selectBackend("cpu");

/** A 1-channel VGG19 whose convs copy their input (centre tap 1; the first conv reads the red channel). */
function identityVgg(): Map<string, NdArray> {
  const sd = randomVgg19StateDict(0, [1, 1, 1, 1, 1]);
  for (const [name, array] of sd) {
    array.data = new Float32Array(array.data.length);
    if (name.endsWith(".weight")) array.data[4] = 1; // [0, 0, 1, 1]: centre of input channel 0
  }
  return sd;
}

/** relu then 2×2 max pools of a [h, w] map, as JS arrays. */
function pooled(map: number[][], times: number): number[][] {
  let m = map.map((row) => row.map((v) => Math.max(v, 0)));
  for (let t = 0; t < times; t++) {
    m = Array.from(
      { length: m.length / 2 },
      (_, i) =>
        Array.from(
          { length: m[0].length / 2 },
          (_, j) =>
            Math.max(m[2 * i][2 * j], m[2 * i][2 * j + 1], m[2 * i + 1][2 * j], m[2 * i + 1][2 * j + 1]),
        ),
    );
  }
  return m;
}

Deno.test("the VGG loss is λ·Σ w_k·L1 at relu1_1 … relu5_1 with w = 1/32 … 1", () => {
  const vgg = Vgg19Features.fromStateDict(identityVgg(), "identity.pth");
  const size = 32;
  const red = (seed: number) =>
    Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => Math.sin(seed * i + j)));
  const [a, b] = [red(1), red(2)];
  const image = (m: number[][]) =>
    tf.tensor4d(m.flatMap((row) => row.flatMap((v) => [v, 5, -5])), [1, size, size, 3]);
  const fake = image(a), real = image(b);
  const before = tf.memory().numTensors;
  const got = vggLoss(vgg, fake, real, 10);
  assert.equal(tf.memory().numTensors, before + 1);
  let expected = 0;
  [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1].forEach((w, k) => {
    const fa = pooled(a, k).flat(), fb = pooled(b, k).flat();
    expected += w * fa.reduce((s, v, i) => s + Math.abs(v - fb[i]), 0) / fa.length;
  });
  assert.ok(Math.abs(got.dataSync()[0] - 10 * expected) < 1e-4, `${got.dataSync()[0]} vs ${10 * expected}`);
  const bound = vggLossPlugin.create({ lambda_feat: 10 }, {} as never)(vgg, fake, real);
  assert.equal(bound.dataSync()[0], got.dataSync()[0], "the plugin's loss is vggLoss with λ bound");
  bound.dispose();
  const features = vgg.apply(fake);
  assert.deepEqual(features.map((f) => f.shape), [
    [1, 32, 32, 1],
    [1, 16, 16, 1],
    [1, 8, 8, 1],
    [1, 4, 4, 1],
    [1, 2, 2, 1],
  ]);
  tf.dispose([fake, real, got, ...features]);
  vgg.dispose();
});

Deno.test("random VGG19 weights have torchvision's names and shapes up to features.28", () => {
  const sd = randomVgg19StateDict(1);
  assert.deepEqual(sd.get("features.0.weight")!.shape, [64, 3, 3, 3]);
  assert.deepEqual(sd.get("features.2.weight")!.shape, [64, 64, 3, 3]);
  assert.deepEqual(sd.get("features.5.weight")!.shape, [128, 64, 3, 3]);
  assert.deepEqual(sd.get("features.19.weight")!.shape, [512, 256, 3, 3]);
  assert.deepEqual(sd.get("features.28.weight")!.shape, [512, 512, 3, 3]);
  assert.equal(sd.size, 26);
});

Deno.test("missing or wrong VGG19 weights say what is wrong and where to get them", async () => {
  await assert.rejects(
    Vgg19Features.load("/nonexistent/vgg19.pth"),
    (e: Error) =>
      e instanceof CheckpointError &&
      /VGG19 weights not found: download .*vgg19-dcbb9e9d\.pth/.test(e.message),
  );
  const sd = randomVgg19StateDict(0, [2, 2, 2, 2, 2]);
  sd.delete("features.21.bias");
  assert.throws(
    () => Vgg19Features.fromStateDict(sd, "v.pth"),
    /v\.pth: is not a torchvision VGG19 state_dict: features\.21\.weight\/bias missing/,
  );
  const bad = randomVgg19StateDict(0, [2, 2, 2, 2, 2]);
  bad.set("features.5.weight", { shape: [2, 3, 3, 3], dtype: "float32", data: new Float32Array(54) });
  assert.throws(
    () => Vgg19Features.fromStateDict(bad, "v.pth"),
    /features\.5\.weight has shape \[2, 3, 3, 3\] .* needs \[out, 2, 3, 3\]/,
  );
});
