/**
 * The official discriminator feature matching loss (`G_GAN_Feat`): for every scale i and every
 * intermediate layer j (all but the prediction), (1/num_D)·(4/(n_layers_D+1))·λ_feat·L1(D_i^j(fake),
 * D_i^j(real)), where n_layers_D + 2 is the number of layers per scale.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { pick } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import type { DiscriminatorOutput } from "./gan_loss.ts";
import { lossOptionsSchema } from "./options.ts";

/**
 * The feature matching loss. Gradients flow into `predFake` only when `predReal` does not depend on
 * the variables being differentiated (the official code detaches it).
 *
 * @param predFake D's output on fake inputs (getIntermFeat: n_layers_D + 2 tensors per scale)
 * @param predReal D's output on real inputs, same structure
 * @param lambdaFeat λ_feat (official 10)
 * @returns the loss
 * @throws {RangeError} when the two outputs differ in structure or a scale has fewer than 3 layers
 */
export function featureMatchingLoss(
  predFake: DiscriminatorOutput,
  predReal: DiscriminatorOutput,
  lambdaFeat: number,
): tf.Scalar {
  const numD = predFake.length;
  if (
    numD === 0 || predReal.length !== numD ||
    predFake.some((s, i) => s.length !== predReal[i].length || s.length < 3)
  ) {
    throw new RangeError(
      "feature matching needs fake and real discriminator outputs of the same structure with intermediate " +
        "features (getIntermFeat): at least 3 layers per scale",
    );
  }
  return tf.tidy(() => {
    const terms: tf.Scalar[] = [];
    predFake.forEach((scale, i) => {
      const nLayers = scale.length - 2;
      const weight = (1 / numD) * (4 / (nLayers + 1));
      for (let j = 0; j < scale.length - 1; j++) {
        const l1 = tf.mean(tf.abs(tf.sub(scale[j], predReal[i][j])));
        terms.push(tf.mul(tf.mul(l1, weight), lambdaFeat));
      }
    });
    // chained adds, not addN: tfjs-webgpu's AddN drops inputs beyond about five
    return terms.reduce((a, b) => tf.add(a, b));
  });
}

/** Options of the feature matching loss plugin. */
export const featureMatchingSchema = pick(lossOptionsSchema, "lambda_feat");

/** The feature matching loss with its weight bound: what the plugin makes. */
export type FeatureMatchingLoss = (predFake: DiscriminatorOutput, predReal: DiscriminatorOutput) => tf.Scalar;

/** The feature matching loss as a plugin: `create` binds λ_feat. */
export const featureMatchingPlugin = definePlugin({
  name: "feature-matching-loss",
  role: "loss",
  description: "pix2pixHD discriminator feature matching loss (G_GAN_Feat)",
  provides: ["loss:feature-matching"],
  schema: featureMatchingSchema,
  create: (options): FeatureMatchingLoss => (predFake, predReal) =>
    featureMatchingLoss(predFake, predReal, options.lambda_feat),
});
