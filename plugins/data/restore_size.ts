/**
 * Undoing the fit to the network's multiple after synthesis: a generated image at the network's size
 * goes back to the size before the fit (cropping the mirror padding away, or resizing back) — the
 * label map's original size for resize_or_crop=none, the resized or cropped size for the other modes.
 *
 * @module
 */
import { type Tensor4D, tf } from "../../backends/tf.ts";
import type { GeometryPlan } from "./preprocess.ts";

/**
 * The size of a sample before it was fitted to the network's multiple.
 *
 * @param plan the sample's plan
 * @returns the crop's size when cropping, else the resized size (the original size for resize_or_crop=none)
 */
export function unfittedSize(plan: GeometryPlan): { width: number; height: number } {
  if (!plan.crop) return plan.resized;
  // Pillow's crop pads outside the image, so the window keeps its size
  return { width: plan.crop.size, height: plan.crop.size };
}

/**
 * Brings a generated batch back to the size before the fit to the network's multiple.
 *
 * @param image generated images [N, H, W, C] at the plan's size
 * @param plan the plan the input was prepared with (a sample's `plan` field)
 * @returns a new tensor at {@link unfittedSize}; the caller disposes both
 * @throws {RangeError} when `image` is not at the plan's size
 */
export function restoreSize(image: Tensor4D, plan: GeometryPlan): Tensor4D {
  const [, h, w] = image.shape;
  if (h !== plan.height || w !== plan.width) {
    throw new RangeError(
      `Cannot restore size: image is ${w}×${h} but the plan made ${plan.width}×${plan.height}`,
    );
  }
  if (!plan.fit) return tf.clone(image);
  const { width, height } = unfittedSize(plan);
  if (plan.fit.mode === "pad") {
    const x0 = plan.flip ? plan.fit.width - width : 0;
    return tf.slice(image, [0, 0, x0, 0], [-1, height, width, -1]);
  }
  return tf.image.resizeBilinear(image, [height, width], false, true);
}
