/**
 * The adversarial losses over a multiscale discriminator's output (`Tensor4D[][]`, per scale, the
 * last entry being the prediction): the official `GANLoss` (LSGAN = MSE to 1/0; `no_lsgan` = BCE on
 * the sigmoid outputs, as PyTorch's `BCELoss` with its log clamp at -100), summed over scales, and the
 * hinge loss (not in the official code) as an option.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { defineSchema } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";

/** The GAN loss types. */
export const GAN_MODES = ["lsgan", "vanilla", "hinge"] as const;
/** A GAN loss type. */
export type GanMode = typeof GAN_MODES[number];

/** A discriminator's output: per scale, its features, the last one being the prediction. */
export type DiscriminatorOutput = readonly (readonly tf.Tensor4D[])[];

/** The three terms of an adversarial loss. */
export interface GanLoss {
  /** The generator's loss on D(fake) (official `criterionGAN(pred_fake, True)` for lsgan/vanilla). */
  generator(predFake: DiscriminatorOutput): tf.Scalar;
  /** D's loss on real inputs (`loss_D_real`). */
  discriminatorReal(predReal: DiscriminatorOutput): tf.Scalar;
  /** D's loss on fake inputs (`loss_D_fake`). */
  discriminatorFake(predFake: DiscriminatorOutput): tf.Scalar;
}

/**
 * PyTorch's `BCELoss` (mean) against a constant target: logs clamped at -100, gradient
 * (x - t) / max(x(1 - x), 1e-12) as PyTorch computes it, so saturated probabilities give no NaN.
 */
function bce(x: tf.Tensor, target: 0 | 1): tf.Scalar {
  const op = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const p = input as tf.Tensor;
    (save as tf.GradSaveFunc)([p]);
    const value = tf.tidy(() => tf.neg(tf.mean(tf.maximum(tf.log(target === 1 ? p : tf.sub(1, p)), -100))));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [q] = saved;
          return tf.mul(
            tf.div(tf.sub(q, target), tf.maximum(tf.mul(q, tf.sub(1, q)), 1e-12)),
            tf.div(dy, q.size),
          );
        }),
    };
  });
  return op(x) as tf.Scalar;
}

function perScale(preds: DiscriminatorOutput, term: (pred: tf.Tensor4D) => tf.Scalar): tf.Scalar {
  if (preds.length === 0 || preds.some((scale) => scale.length === 0)) {
    throw new RangeError("GAN loss needs at least one prediction per discriminator scale");
  }
  // chained adds, not addN: tfjs-webgpu's AddN drops inputs beyond about five
  return tf.tidy(() => preds.map((scale) => term(scale[scale.length - 1])).reduce((a, b) => tf.add(a, b)));
}

/**
 * The adversarial loss of a given type.
 *
 * @param mode "lsgan" (official default), "vanilla" (official `no_lsgan`: D must end with a sigmoid)
 *   or "hinge"
 * @returns its generator and discriminator terms, each summed over the scales
 */
export function ganLoss(mode: GanMode): GanLoss {
  const mse = (pred: tf.Tensor4D, target: number) => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar;
  switch (mode) {
    case "lsgan":
      return {
        generator: (p) => perScale(p, (x) => mse(x, 1)),
        discriminatorReal: (p) => perScale(p, (x) => mse(x, 1)),
        discriminatorFake: (p) => perScale(p, (x) => mse(x, 0)),
      };
    case "vanilla":
      return {
        generator: (p) => perScale(p, (x) => bce(x, 1)),
        discriminatorReal: (p) => perScale(p, (x) => bce(x, 1)),
        discriminatorFake: (p) => perScale(p, (x) => bce(x, 0)),
      };
    case "hinge":
      return {
        generator: (p) => perScale(p, (x) => tf.neg(tf.mean(x))),
        discriminatorReal: (p) => perScale(p, (x) => tf.mean(tf.relu(tf.sub(1, x)))),
        discriminatorFake: (p) => perScale(p, (x) => tf.mean(tf.relu(tf.add(1, x)))),
      };
  }
}

/** Options of the GAN loss plugin. */
export const ganLossSchema = defineSchema({
  gan_mode: {
    type: "enum",
    default: "lsgan",
    choices: GAN_MODES,
    doc: "lsgan (official default), vanilla (official no_lsgan; needs use_sigmoid in D) or hinge",
  },
});

/** The GAN loss as a plugin. */
export const ganLossPlugin = definePlugin({
  name: "gan-loss",
  role: "loss",
  description: "adversarial loss over a multiscale discriminator (LSGAN, BCE or hinge)",
  provides: ["loss:gan"],
  schema: ganLossSchema,
  create: (options) => ganLoss(options.gan_mode),
});
