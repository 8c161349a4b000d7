/**
 * The official normalisation layers: `InstanceNorm2d(affine=False)` (the default) and `BatchNorm2d`.
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";
import type { LayerSpec } from "./layer.ts";
import { channelAffine } from "../../../backends/channel_affine.ts";

/** The official `norm` choices. */
export const NORMS = ["instance", "batch"] as const;
/** A normalisation type. */
export type NormType = typeof NORMS[number];

/** PyTorch's default epsilon for both norms. */
const EPS = 1e-5;
/** PyTorch's default running-statistics momentum. */
const MOMENTUM = 0.1;

/**
 * Instance normalisation with its gradient written out, so that the tape keeps only the output and
 * 1/σ per channel (tfjs's own gradient of the composed ops keeps the input, the centred input and
 * both again per op): y = (x - μ)/σ, dx = (dy - mean(dy) - y · mean(dy · y)) / σ over each channel's
 * pixels, σ = √(var + eps) with the biased variance, as PyTorch. The element-wise passes go through
 * {@link channelAffine} (one oneDNN pass each where the backend has it): the forward pass holds at
 * most one temporary of the input's size beside it ((x - μ)², freed once reduced), where `tf.moments`
 * would copy the input (a float32 `cast` copies on wasm), centre it a second time and keep all of
 * them until the layer ends — at 2048×1024 and 32 channels, 0.75 GiB more at the generator's peak.
 * The arithmetic is `tf.moments`'s, op for op.
 */
const instanceNormWithGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
  const mean = tf.mean(x, [1, 2], true);
  const squared = channelAffine(x, { shift: mean, square: true });
  const variance = tf.mean(squared, [1, 2], true);
  squared.dispose();
  const invStd = tf.rsqrt(tf.add(variance, EPS));
  const y = channelAffine(x, { shift: mean, scale: invStd });
  save([y, invStd]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [saved, inv]: tf.Tensor[]) =>
      tf.tidy(() => {
        const meanDy = tf.mean(dy, [1, 2], true);
        const meanDyY = tf.mean(tf.mul(dy, saved), [1, 2], true);
        const minus = channelAffine(saved as tf.Tensor4D, { scale: meanDyY });
        return channelAffine(dy as tf.Tensor4D, { shift: meanDy, minus, scale: inv });
      }),
  };
});

/**
 * Instance normalisation: per sample and channel, biased variance, eps 1e-5, no affine parameters.
 *
 * @param x NHWC batch
 * @returns the normalised batch
 */
export function instanceNorm(x: tf.Tensor4D): tf.Tensor4D {
  return instanceNormWithGrad(x) as tf.Tensor4D;
}

/**
 * `BatchNorm2d(channels)` in training mode, as the official code always runs it (it never calls
 * `eval()`): normalises with the batch's statistics (biased variance) and, while the module is in
 * training mode, updates `running_mean`/`running_var` (unbiased, momentum 0.1) and
 * `num_batches_tracked` so saved checkpoints carry them like PyTorch's.
 *
 * @param channels number of channels
 * @returns the layer spec (parameters `weight` ~ N(1, 0.02), `bias` = 0, as the official weights_init)
 */
export function batchNorm(channels: number): LayerSpec {
  return (module, name) => {
    const gamma = module.addParam(`${name}.weight`, "vector", () => module.normal([channels], 1, 0.02));
    const beta = module.addParam(`${name}.bias`, "vector", () => tf.zeros([channels]));
    const runningMean = module.addBuffer(`${name}.running_mean`, "vector", () => tf.zeros([channels]));
    const runningVar = module.addBuffer(`${name}.running_var`, "vector", () => tf.ones([channels]));
    const tracked = module.addBuffer(`${name}.num_batches_tracked`, "count", () => tf.scalar(0, "int32"));
    return {
      apply: (x) =>
        tf.tidy(() => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          if (module.training) {
            const n = x.size / channels;
            const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
            runningMean.assign(tf.add(tf.mul(runningMean, 1 - MOMENTUM), tf.mul(mean, MOMENTUM)));
            runningVar.assign(tf.add(tf.mul(runningVar, 1 - MOMENTUM), tf.mul(unbiased, MOMENTUM)));
            tracked.assign(tf.add(tracked, tf.scalar(1, "int32")));
          }
          const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, EPS)));
          return tf.add(tf.mul(tf.sub(x, mean), scale), beta);
        }),
    };
  };
}

/**
 * The norm layer of the given type (`norm_layer(channels)` in the official code).
 *
 * @param type "instance" or "batch"
 * @param channels number of channels
 * @returns the layer spec
 */
export function norm(type: NormType, channels: number): LayerSpec {
  return type === "batch" ? batchNorm(channels) : () => ({ apply: instanceNorm });
}
