import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";

await tf.setBackend("cpu");

function numericGrad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): Float32Array {
  const base = x.dataSync().slice();
  const out = new Float32Array(base.length);
  const eps = 1e-2;
  for (let i = 0; i < base.length; i++) {
    const up = base.slice(), down = base.slice();
    up[i] += eps;
    down[i] -= eps;
    const fu = tf.tidy(() => f(tf.tensor(up, x.shape)).dataSync()[0]);
    const fd = tf.tidy(() => f(tf.tensor(down, x.shape)).dataSync()[0]);
    out[i] = (fu - fd) / (2 * eps);
  }
  return out;
}

for (const mode of ["reflect", "symmetric"] as const) {
  Deno.test(`mirrorPad's gradient (${mode}) folds the mirrored borders back (tfjs's own drops them)`, () => {
    const x = tf.tensor(Array.from({ length: 1 * 5 * 6 * 2 }, (_, i) => Math.sin(i)), [1, 5, 6, 2]);
    const w = tf.tensor(Array.from({ length: 1 * 9 * 10 * 2 }, (_, i) => Math.cos(i * 0.7)), [1, 9, 10, 2]);
    const pads: [number, number][] = [[0, 0], [2, 2], [3, 1], [0, 0]];
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t as tf.Tensor4D, pads, mode), w)) as tf.Scalar;
    const analytic = tf.grad(f)(x).dataSync();
    const numeric = numericGrad(f, x);
    for (let i = 0; i < numeric.length; i++) {
      assert.ok(Math.abs(analytic[i] - numeric[i]) < 1e-2, `element ${i}: ${analytic[i]} vs ${numeric[i]}`);
    }
    tf.dispose([x, w]);
  });
}

Deno.test("(leaky) ReLU gradients without a LeakyReluGrad kernel: x > 0 ? dy : alpha·dy, 0 at x = 0", async () => {
  await tf.setBackend("cpu");
  const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5]);
  const leaky = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(t, 0.2), dy)))(x);
  const relu = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), dy)))(x);
  assert.deepEqual(Array.from(leaky.dataSync()).map((v) => Math.round(v * 1e6) / 1e6), [0.2, 0.4, 0.6, 4, 5]);
  assert.deepEqual(Array.from(relu.dataSync()), [0, 0, 0, 4, 5]);
  tf.dispose([x, dy, leaky, relu]);
});
