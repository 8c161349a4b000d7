import { tf } from "../../../backends/tf.ts";
import { assertMatchesCpu, ONEDNN, seeded, seededTensor } from "./conv_helpers.ts";

const ignore = !ONEDNN.ok;

/** dx of the pool, for a seeded dy, by TensorFlow.js's gradient machinery (→ the *PoolGrad kernels). */
function poolGradient(
  pool: (x: tf.Tensor4D) => tf.Tensor4D,
  shape: [number, number, number, number],
): () => tf.Tensor {
  return () => {
    const x = seededTensor(shape, 3);
    const dy = tf.tensor(seeded(pool(x).size, 4), pool(x).shape);
    return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t as tf.Tensor4D), dy)))(x);
  };
}

Deno.test({
  name: "MaxPoolGrad on oneDNN matches cpu: VGG's 2×2/2, and 3×3/2 with 'same' padding",
  ignore,
  fn: async () => {
    await assertMatchesCpu(
      "max 2x2 s2",
      poolGradient((x) => tf.maxPool(x, 2, 2, "valid"), [1, 8, 12, 16]),
      "max_backward,1,16,8,12",
    );
    await assertMatchesCpu(
      "max 3x3 s2 same",
      poolGradient((x) => tf.maxPool(x, 3, 2, "same"), [2, 9, 7, 5]),
      "max_backward,2,5,9,7",
    );
  },
});

Deno.test({
  name: "AvgPoolGrad on oneDNN matches cpu unpadded; padded cases keep tfjs's own gradient",
  ignore,
  fn: async () => {
    await assertMatchesCpu(
      "avg 3x3 s2 valid",
      poolGradient((x) => tf.avgPool(x, 3, 2, "valid"), [1, 11, 13, 6]),
      "avg_backward,1,6,11,13",
    );
    await assertMatchesCpu("avg 3x3 s2 same", poolGradient((x) => tf.avgPool(x, 3, 2, "same"), [1, 9, 9, 4]));
  },
});
