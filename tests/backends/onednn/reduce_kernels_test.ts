import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { oneDnnInfo } from "../../../backends/onednn/mod.ts";
import { assertMatchesCpu, ONEDNN, seededTensor } from "./conv_helpers.ts";

const ignore = !ONEDNN.ok;

Deno.test({
  name: "Mean and Sum over the pixels on oneDNN match cpu, with and without keepDims",
  ignore,
  fn: async () => {
    await assertMatchesCpu(
      "mean keepDims",
      () => tf.mean(seededTensor([2, 9, 13, 7], 1), [1, 2], true),
      "reduce_mean,2,9,13",
    );
    await assertMatchesCpu(
      "mean [2,1]",
      () => tf.mean(seededTensor([1, 5, 6, 3], 2), [2, 1]),
      "reduce_mean,1,5,6",
    );
    await assertMatchesCpu("sum", () => tf.sum(seededTensor([1, 16, 8, 32], 3), [1, 2]), "reduce_sum,1,16,8");
    // a bias gradient: over batch and pixels, with a batch of one
    await assertMatchesCpu(
      "sum 0,1,2",
      () => tf.sum(seededTensor([1, 12, 10, 9], 8), [0, 1, 2]),
      "reduce_sum,1,12,10",
    );
    await assertMatchesCpu(
      "sum 0,1,2 keepDims",
      () => tf.sum(seededTensor([1, 3, 4, 2], 9), [0, 1, 2], true),
    );
    // instance norm's gradient runs through both
    await assertMatchesCpu("moments gradient", () => {
      const x = seededTensor([1, 6, 5, 4], 4);
      return tf.grad((t: tf.Tensor) => {
        const { mean, variance } = tf.moments(t, [1, 2], true);
        const y = tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5)));
        return tf.sum(tf.mul(y, seededTensor([1, 6, 5, 4], 5)));
      })(x);
    });
  },
});

Deno.test({
  name: "other reductions (other axes, int32) keep tfjs's own kernels",
  ignore,
  fn: async () => {
    await assertMatchesCpu("mean over channels", () => tf.mean(seededTensor([1, 4, 5, 6], 6), 3));
    await assertMatchesCpu("sum over all", () => tf.sum(seededTensor([2, 3, 4, 5], 7)));
    await assertMatchesCpu(
      "sum over batch and pixels of two",
      () => tf.sum(seededTensor([2, 3, 4, 5], 8), [0, 1, 2]),
    );
    await tf.setBackend("wasm");
    const ints = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], "int32");
    assert.deepEqual(Array.from(tf.sum(ints, [1, 2]).dataSync()), [10]);
    ints.dispose();
    assert.ok(![...oneDnnInfo().primitives.keys()].some((k) => k.startsWith("reduce_mean,1,4,5,6")));
  },
});
