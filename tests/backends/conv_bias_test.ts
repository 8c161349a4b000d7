import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { conv2dWithBias, type ConvWithBiasOptions } from "../../backends/conv_bias.ts";
import { variableGrads } from "../../backends/tape.ts";

await tf.setBackend("cpu");

const x = tf.randomNormal([1, 7, 6, 3], 0, 1, "float32", 1) as tf.Tensor4D;
const filter = tf.randomNormal([3, 3, 3, 4], 0, 0.5, "float32", 2) as tf.Tensor4D;
const bias = tf.randomNormal([4], 0, 0.5, "float32", 3);
const weights = tf.randomNormal([1, 8, 8, 4], 0, 1, "float32", 4);

const geometries: Array<[string, ConvWithBiasOptions]> = [
  ["stride 2, padding 1", { strides: 2, pad: 1 }],
  ["explicit band padding", { strides: 1, pad: [[0, 0], [0, 2], [1, 1], [0, 0]] }],
];

for (const [what, options] of geometries) {
  Deno.test(`conv2dWithBias (${what}): output and gradients bit for bit those of tf.fused.conv2d`, () => {
    const ours = (a: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor) => conv2dWithBias(a, f, b, options);
    const theirs = (a: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor) =>
      tf.fused.conv2d({ x: a, filter: f, bias: b, strides: options.strides, pad: options.pad });
    const [y, yRef] = [ours(x, filter, bias), theirs(x, filter, bias)];
    const loss = (conv: typeof ours) => (a: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(conv(a as tf.Tensor4D, f as tf.Tensor4D, b), tf.slice(weights, 0, y.shape)));
    const grads = tf.grads(loss(ours))([x, filter, bias]);
    const gradsRef = tf.grads(loss(theirs))([x, filter, bias]);
    assert.deepEqual(y.dataSync(), yRef.dataSync());
    grads.forEach((g, i) => assert.deepEqual(g.dataSync(), gradsRef[i].dataSync(), `gradient ${i}`));
    tf.dispose([y, yRef, ...grads, ...gradsRef]);
  });
}

Deno.test("conv2dWithBias: the backward pass computes only the gradients asked for", () => {
  const before = tf.memory().numTensors;
  const f = tf.variable(filter, true, "conv_bias_test/f");
  const kernelsOf = (fn: () => void) => tf.profile(fn).then((p) => p.kernels.map((k) => k.name));
  // The input is data: no input gradient; the filter is frozen: no filter gradient either.
  const onlyBias = tf.variable(bias, true, "conv_bias_test/b");
  f.trainable = false;
  return kernelsOf(() => {
    const { value, grads } = variableGrads(
      () => tf.sum(conv2dWithBias(x, f, onlyBias, { strides: 1, pad: 1 })) as tf.Scalar,
      [f, onlyBias],
    );
    assert.deepEqual(Object.keys(grads), [onlyBias.name]);
    tf.dispose([value, ...Object.values(grads)]);
  }).then((kernels) => {
    assert.ok(!kernels.includes("Conv2DBackpropInput"), kernels.join());
    assert.ok(!kernels.includes("Conv2DBackpropFilter"), kernels.join());
    assert.ok(kernels.includes("Sum"), kernels.join());
    tf.dispose([f, onlyBias]);
    assert.equal(tf.memory().numTensors, before);
  });
});
