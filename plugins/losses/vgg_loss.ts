/**
 * The official VGG perceptual loss (`G_VGG`): λ_feat · Σ_k w_k · L1(VGG19_k(fake), VGG19_k(real)),
 * w = 1/32, 1/16, 1/8, 1/4, 1 at relu1_1 … relu5_1; the real image's features carry no gradient.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { pick } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import type { Vgg19Features } from "./vgg19.ts";
import { lossOptionsSchema } from "./options.ts";

/** The official per-layer weights, relu1_1 first. */
export const VGG_WEIGHTS = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1] as const;

/**
 * The perceptual loss of fake images against real ones.
 *
 * @param vgg the frozen VGG19 features
 * @param fake NHWC generated images [batch, h, w, 3] in [-1, 1]
 * @param real NHWC real images of the same shape, or their features from `vgg.apply` computed
 *   beforehand (outside a gradient tape, so that the tape keeps none of the real pass); constants
 * @param lambdaFeat λ_feat (official 10)
 * @returns the loss
 * @throws {RangeError} when the two batches differ in shape
 */
export function vggLoss(
  vgg: Vgg19Features,
  fake: tf.Tensor4D,
  real: tf.Tensor4D | readonly tf.Tensor4D[],
  lambdaFeat: number,
): tf.Scalar {
  const [n, h, w] = fake.shape;
  const realShape = Array.isArray(real) ? real[0]?.shape.slice(0, 3) : (real as tf.Tensor4D).shape;
  const expected = Array.isArray(real) ? [n, h, w] : fake.shape;
  if (realShape?.join() !== expected.join()) {
    throw new RangeError(
      `VGG loss: fake [${fake.shape.join(", ")}] and real [${realShape?.join(", ")}] differ in shape`,
    );
  }
  return tf.tidy(() => {
    const fakeFeatures = vgg.apply(fake);
    const realFeatures = Array.isArray(real) ? real : vgg.apply(real as tf.Tensor4D);
    const terms = fakeFeatures.map((f, k) =>
      tf.mul(tf.mean(tf.abs(tf.sub(f, realFeatures[k]))), VGG_WEIGHTS[k])
    );
    // chained adds, not addN: tfjs-webgpu's AddN drops inputs beyond about five
    return tf.mul(terms.reduce((a, b) => tf.add(a, b)), lambdaFeat) as tf.Scalar;
  });
}

/** Options of the VGG loss plugin. */
export const vggLossSchema = pick(lossOptionsSchema, "lambda_feat");

/**
 * The VGG loss with its weight bound: what the plugin makes. The features are the caller's (training
 * loads them once, from `--vgg_weights`: `Vgg19Features.load`).
 */
export type VggLoss = (
  vgg: Vgg19Features,
  fake: tf.Tensor4D,
  real: tf.Tensor4D | readonly tf.Tensor4D[],
) => tf.Scalar;

/** The VGG loss as a plugin: `create` binds λ_feat. */
export const vggLossPlugin = definePlugin({
  name: "vgg-loss",
  role: "loss",
  description: "pix2pixHD VGG19 perceptual loss (G_VGG) with torchvision's weights",
  provides: ["loss:vgg"],
  schema: vggLossSchema,
  create: (options): VggLoss => (vgg, fake, real) => vggLoss(vgg, fake, real, options.lambda_feat),
});
