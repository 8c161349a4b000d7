import { tf } from "../../../backends/tf.ts";
import { assertMatchesCpu, ONEDNN, seededTensor } from "./conv_helpers.ts";

const ignore = !ONEDNN.ok;

/** dx of an activation for a seeded dy, through TensorFlow.js's gradient machinery. */
function activationGradient(f: (x: tf.Tensor) => tf.Tensor, seed: number): () => tf.Tensor {
  return () => {
    const x = seededTensor([1, 7, 9, 5], seed);
    const dy = seededTensor([1, 7, 9, 5], seed + 1);
    return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dy)))(x);
  };
}

Deno.test({
  name: "LeakyRelu and the (leaky) ReLU gradient on oneDNN match cpu",
  ignore,
  fn: async () => {
    await assertMatchesCpu(
      "leaky relu",
      () => tf.leakyRelu(seededTensor([2, 5, 6, 7], 1), 0.2),
      "leakyrelu_forward",
    );
    await assertMatchesCpu(
      "leaky relu gradient",
      activationGradient((x) => tf.leakyRelu(x, 0.2), 3),
      "leakyrelu_backward,0.2",
    );
    await assertMatchesCpu(
      "relu gradient",
      activationGradient((x) => tf.relu(x), 5),
      "leakyrelu_backward,0",
    );
  },
});

Deno.test({
  name: "Tanh on oneDNN matches cpu (the generators' output), saturating at large |x|",
  ignore,
  fn: async () => {
    await assertMatchesCpu(
      "tanh",
      () => tf.tanh(tf.mul(seededTensor([1, 33, 65, 3], 7), 12)),
      "tanh_forward",
    );
  },
});
