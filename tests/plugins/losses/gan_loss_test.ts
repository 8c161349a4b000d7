import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { ganLoss, ganLossPlugin } from "../../../plugins/losses/gan_loss.ts";
import { featureMatchingLoss } from "../../../plugins/losses/feature_matching.ts";

await selectBackend("cpu");

/** Two scales whose predictions are the given values (one intermediate feature each). */
function preds(a: number[], b: number[]): tf.Tensor4D[][] {
  return [
    [tf.zeros([1, 2, 2, 1]), tf.tensor4d(a, [1, 1, a.length, 1])],
    [tf.zeros([1, 1, 1, 1]), tf.tensor4d(b, [1, 1, b.length, 1])],
  ];
}

function value(t: tf.Scalar): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

Deno.test("LSGAN is the MSE of each scale's prediction to 1 (real) or 0 (fake), summed over scales", () => {
  const p = preds([0.5, 2], [-1]);
  const loss = ganLoss("lsgan");
  assert.ok(Math.abs(value(loss.discriminatorReal(p)) - ((0.25 + 1) / 2 + 4)) < 1e-6);
  assert.ok(Math.abs(value(loss.discriminatorFake(p)) - ((0.25 + 4) / 2 + 1)) < 1e-6);
  assert.ok(Math.abs(value(loss.generator(p)) - ((0.25 + 1) / 2 + 4)) < 1e-6);
  tf.dispose(p.flat());
});

Deno.test("vanilla is PyTorch's BCELoss on probabilities, with the log clamped at -100 and no NaN gradient", () => {
  const p = preds([0.25, 1], [0]);
  const loss = ganLoss("vanilla");
  // real: -(log .25 + log 1)/2 + -max(log 0, -100) ; fake: -(log .75 + max(log 0, -100))/2 + -log 1
  assert.ok(Math.abs(value(loss.discriminatorReal(p)) - (-Math.log(0.25) / 2 + 100)) < 1e-4);
  assert.ok(Math.abs(value(loss.discriminatorFake(p)) - (-(Math.log(0.75) - 100) / 2)) < 1e-4);
  const x = tf.tensor4d([0.25, 1, 0, 0.5], [1, 1, 4, 1]);
  const grad = tf.grad((t: tf.Tensor) => loss.discriminatorReal([[t as tf.Tensor4D]]))(x).dataSync();
  // PyTorch: (x - 1) / max(x(1 - x), 1e-12) / n
  const expected = [0.25, 1, 0, 0.5].map((v) => (v - 1) / Math.max(v * (1 - v), 1e-12) / 4);
  grad.forEach((g, i) =>
    assert.ok(Math.abs(g - expected[i]) <= Math.abs(expected[i]) * 1e-5, `element ${i}: ${g}`)
  );
  tf.dispose([...p.flat(), x]);
});

Deno.test("hinge: D takes relu(1 - real) and relu(1 + fake), G takes -D(fake)", () => {
  const p = preds([0.5, 2], [-3]);
  const loss = ganLoss("hinge");
  assert.ok(Math.abs(value(loss.discriminatorReal(p)) - ((0.5 + 0) / 2 + 4)) < 1e-6);
  assert.ok(Math.abs(value(loss.discriminatorFake(p)) - ((1.5 + 3) / 2 + 0)) < 1e-6);
  assert.ok(Math.abs(value(loss.generator(p)) - (-1.25 + 3)) < 1e-6);
  tf.dispose(p.flat());
});

Deno.test("feature matching weighs every intermediate L1 by (1/num_D)·(4/(n_layers_D+1))·λ and ignores predictions", () => {
  // 2 scales × (n_layers_D = 2 → 4 outputs): weight (1/2)·(4/3)·10 per intermediate layer
  const fake = [0, 1].map(() => [1, 2, 3, 4].map((k) => tf.fill([1, 2, 2, 1], k) as tf.Tensor4D));
  const real = [0, 1].map((i) =>
    [1, 2, 3, 4].map((k) => tf.fill([1, 2, 2, 1], k + (k === 4 ? 100 : i + 1)) as tf.Tensor4D)
  );
  const l1Sum = 3 * 1 + 3 * 2; // scale 0 differs by 1 in its 3 intermediate layers, scale 1 by 2
  const got = value(featureMatchingLoss(fake, real, 10));
  assert.ok(Math.abs(got - l1Sum * (1 / 2) * (4 / 3) * 10) < 1e-4, `${got}`);
  assert.throws(() => featureMatchingLoss(fake, real.slice(0, 1), 10), /same structure/);
  tf.dispose([...fake.flat(), ...real.flat()]);
});

Deno.test("the GAN loss plugin builds the loss of its gan_mode", () => {
  const p = preds([3], [3]);
  const loss = ganLossPlugin.create({ gan_mode: "hinge" }, {} as never);
  assert.ok(Math.abs(value(loss.generator(p)) + 6) < 1e-6);
  tf.dispose(p.flat());
});
