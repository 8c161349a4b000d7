/**
 * The official pix2pixHD losses: GAN (LSGAN, BCE, and hinge), discriminator feature matching and the
 * VGG19 perceptual loss, with their plugins.
 *
 * @module
 */
import { featureMatchingPlugin } from "./feature_matching.ts";
import { ganLossPlugin } from "./gan_loss.ts";
import { vggLossPlugin } from "./vgg_loss.ts";

export {
  type DiscriminatorOutput,
  GAN_MODES,
  type GanLoss,
  ganLoss,
  ganLossPlugin,
  type GanMode,
} from "./gan_loss.ts";
export { featureMatchingLoss, featureMatchingPlugin } from "./feature_matching.ts";
export { LOSS_NAMES, lossEnabled, type LossEntry, LOSSES, type Losses, type LossName } from "./catalog.ts";
export { VGG_WEIGHTS, vggLoss, vggLossPlugin } from "./vgg_loss.ts";
export { randomVgg19StateDict, VGG19_HELP, Vgg19Features } from "./vgg19.ts";

/** Every loss plugin, for the registry. */
export const lossPlugins = [ganLossPlugin, featureMatchingPlugin, vggLossPlugin];
