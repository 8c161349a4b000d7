/**
 * Undoing resize_or_crop=none's fitting after synthesis: a generated image at the network's size goes
 * back to the label map's original size (cropping the mirror padding away, or resizing back).
 *
 * @module
 */
import { type Tensor4D, tf } from "../../kernel/tf.ts";
import type { GeometryPlan } from "./preprocess.ts";

/**
 * Brings a generated batch back to the original size of its label maps.
 *
 * @param image generated images [N, H, W, C] at the plan's size
 * @param plan the plan the input was prepared with (a sample's `plan` field)
 * @returns a new tensor [N, original height, original width, C]; the caller disposes both
 * @throws {RangeError} when `image` is not at the plan's size
 */
export function restoreSize(image: Tensor4D, plan: GeometryPlan): Tensor4D {
  const [, h, w] = image.shape;
  if (h !== plan.height || w !== plan.width) {
    throw new RangeError(
      `Cannot restore size: image is ${w}×${h} but the plan made ${plan.width}×${plan.height}`,
    );
  }
  const { width, height } = plan.original;
  if (!plan.fit) return tf.clone(image);
  if (plan.fit.mode === "pad") {
    const x0 = plan.flip ? plan.fit.width - width : 0;
    return tf.slice(image, [0, 0, x0, 0], [-1, height, width, -1]);
  }
  return tf.image.resizeBilinear(image, [height, width], false, true);
}
