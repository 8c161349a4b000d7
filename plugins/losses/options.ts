/**
 * The losses' options (official names and defaults), declared once: the weight the feature matching
 * and VGG loss plugins share, and the official flags that turn a loss off (`LOSSES` names them) or
 * make the GAN loss the vanilla one. Training composes them into its schema.
 *
 * @module
 */
import { defineSchema } from "../../kernel/options.ts";

/** `lambda_feat`, `no_ganFeat_loss`, `no_vgg_loss` and `no_lsgan`. */
export const lossOptionsSchema = defineSchema({
  lambda_feat: { type: "number", default: 10, min: 0, doc: "weight of the feature-matching and VGG losses" },
  no_ganFeat_loss: { type: "boolean", default: false, doc: "no discriminator feature-matching loss" },
  no_vgg_loss: { type: "boolean", default: false, doc: "no VGG perceptual loss" },
  no_lsgan: { type: "boolean", default: false, doc: "vanilla GAN loss (BCE) instead of least squares" },
});
