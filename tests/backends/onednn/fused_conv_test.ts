import { tf } from "../../../backends/tf.ts";
import { assertMatchesCpu, ONEDNN, seeded } from "./conv_helpers.ts";

const ACTIVATIONS = ["linear", "relu", "relu6", "leakyrelu", "elu", "sigmoid"] as const;

function fused(activation: tf.fused.Activation, withBias = true): tf.Tensor {
  const x = tf.tensor4d(seeded(2 * 7 * 9 * 4, 51), [2, 7, 9, 4]);
  const filter = tf.mul(tf.tensor4d(seeded(3 * 3 * 4 * 5, 52), [3, 3, 4, 5]), 3) as tf.Tensor4D;
  const bias = withBias ? tf.tensor1d(seeded(5, 53)) : undefined;
  const preluActivationWeights = activation === "prelu" ? tf.tensor1d(seeded(5, 54)) : undefined;
  return tf.fused.conv2d({
    x,
    filter,
    strides: 2,
    pad: 1,
    bias,
    activation,
    preluActivationWeights,
    leakyreluAlpha: 0.2,
  });
}

for (const activation of ACTIVATIONS) {
  Deno.test({
    name: `onednn FusedConv2D with bias and ${activation} matches the cpu backend`,
    ignore: !ONEDNN.ok,
    fn: () => assertMatchesCpu(activation, () => fused(activation), "forward,2,7,9,4"),
  });
}

Deno.test({
  name: "onednn FusedConv2D without bias matches the cpu backend",
  ignore: !ONEDNN.ok,
  fn: () => assertMatchesCpu("no bias", () => fused("relu", false), "forward,2,7,9,4"),
});

Deno.test({
  name: "onednn FusedConv2D with prelu falls back to the wasm kernel and still matches the cpu backend",
  ignore: !ONEDNN.ok,
  fn: () => assertMatchesCpu("prelu", () => fused("prelu")),
});

Deno.test({
  name: "onednn gradients through tf.fused.conv2d with bias match the cpu backend",
  ignore: !ONEDNN.ok,
  fn: () =>
    assertMatchesCpu("fused grads", () => {
      const x = tf.tensor4d(seeded(1 * 6 * 8 * 3, 61), [1, 6, 8, 3]);
      const w = tf.tensor4d(seeded(3 * 3 * 3 * 4, 62), [3, 3, 3, 4]);
      const b = tf.tensor1d(seeded(4, 63));
      const r = tf.tensor4d(seeded(1 * 6 * 8 * 4, 64), [1, 6, 8, 4]);
      const f = (a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.fused.conv2d({
              x: a as tf.Tensor4D,
              filter: k as tf.Tensor4D,
              strides: 1,
              pad: "same",
              bias: c,
            }),
            r,
          ),
        );
      return tf.grads(f)([x, w, b]);
    }, "backward_weights,1,6,8,3"),
});
