import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { LEAKY_RELU_GRAD } from "../../backends/gradients.ts";
import { variableGrads } from "../../backends/tape.ts";

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

Deno.test("Mean's gradient is tfjs's (dy · ones) / n bit for bit, over any axes, with or without keepDims", async () => {
  await tf.setBackend("cpu");
  const x = tf.randomNormal([2, 5, 3, 4], 0, 1, "float32", 7);
  const cases: Array<[number | number[], boolean]> = [
    [[1, 2], true],
    [[1, 2], false],
    [3, false],
    [[0, 1, 2, 3], false],
  ];
  for (const [axis, keepDims] of cases) {
    const dy = tf.randomNormal(tf.mean(x, axis, keepDims).shape, 0, 1, "float32", 8);
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axis, keepDims), dy)))(x);
    const axes: number[] = [axis].flat();
    const expanded = x.shape.map((n, i) => (axes.includes(i) ? 1 : n));
    const n = axes.reduce((a, i) => a * x.shape[i], 1);
    const tfjs = tf.div(tf.mul(tf.reshape(dy, expanded), tf.ones(x.shape, "float32")), n);
    assert.deepEqual(ours.dataSync(), tfjs.dataSync(), `axis ${axis}, keepDims ${keepDims}`);
    tf.dispose([dy, ours, tfjs]);
  }
  x.dispose();
});

Deno.test("Abs's gradient goes through a backend's LeakyReluGrad kernel with alpha -1, bit for bit tfjs's", async () => {
  await tf.setBackend("cpu");
  const x = tf.tensor1d([-2, -0.5, -0, 0, 0.5, 3, -1e-30]);
  const dy = tf.tensor1d([1, -2, 3, -4, 5, -6, 7]);
  const gradient = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.abs(t), dy)))(x);
  const tfjs = tf.mul(dy, tf.step(x, -1));
  const without = gradient();
  const alphas: number[] = [];
  tf.registerKernel({
    kernelName: LEAKY_RELU_GRAD,
    backendName: "cpu",
    kernelFunc: ({ inputs, attrs }) => {
      const { alpha } = attrs as unknown as { alpha: number };
      alphas.push(alpha);
      const xs = tf.engine().readSync((inputs.x as tf.TensorInfo).dataId) as Float32Array;
      const dys = tf.engine().readSync((inputs.dy as tf.TensorInfo).dataId) as Float32Array;
      const out = xs.map((v, i) => (v > 0 ? dys[i] : alpha * dys[i]));
      return tf.engine().makeTensorFromDataId(
        tf.engine().backend.write(out, [out.length], "float32"),
        [out.length],
        "float32",
      );
    },
  });
  try {
    const viaKernel = gradient();
    assert.deepEqual(alphas, [-1]);
    assert.deepEqual(viaKernel.dataSync(), tfjs.dataSync());
    assert.deepEqual(without.dataSync(), tfjs.dataSync());
    assert.deepEqual(Array.from(tfjs.dataSync()), [-1, 2, -3, 4, 5, -6, -7]);
    viaKernel.dispose();
  } finally {
    tf.unregisterKernel(LEAKY_RELU_GRAD, "cpu");
  }
  tf.dispose([x, dy, tfjs, without]);
});

Deno.test("Concat's gradient slices only the parts the backward pass asks for, the values of tfjs's split", async () => {
  await tf.setBackend("cpu");
  const label = tf.randomNormal([1, 4, 5, 3], 0, 1, "float32", 9);
  const init = tf.randomNormal([1, 4, 5, 2], 0, 1, "float32", 10);
  const image = tf.variable(init, true, "concat_grad_test/image");
  const weights = tf.randomNormal([1, 4, 5, 5], 0, 1, "float32", 11);
  const before = tf.memory().numTensors;
  const loss = () => tf.sum(tf.mul(tf.concat([label, image], 3), weights)) as tf.Scalar;
  let gradient: tf.Tensor | undefined;
  const profile = await tf.profile(() => {
    const { value, grads } = variableGrads(loss, [image]);
    gradient = grads[image.name];
    value.dispose();
  });
  const kernels = profile.kernels.map((k) => k.name);
  assert.ok(!kernels.includes("SplitV"), kernels.join());
  assert.equal(kernels.filter((k) => k === "Slice").length, 1, kernels.join());
  const tfjs = tf.split(weights, [3, 2], 3);
  assert.deepEqual(gradient!.dataSync(), tfjs[1].dataSync());
  tf.dispose([gradient!, ...tfjs]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([label, init, image, weights]);
});
