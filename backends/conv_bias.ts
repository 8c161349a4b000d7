/**
 * A convolution with bias as one `FusedConv2D` kernel whose gradient computes only what the backward
 * pass asks for.
 *
 * `tf.fused.conv2d` records its backward pass through `customGrad`, which computes the gradients of the
 * input, the filter and the bias together whenever any of them is needed. In a pix2pixHD iteration that
 * is the discriminator's filter and bias gradients during the generator's backward pass (D is not
 * trained there), and the input gradient of every network's first convolution, whose input is data:
 * about 6 % of an iteration's convolution work, thrown away. Here the kernel runs through the engine
 * with the gradient registered below, one closure per input, and the tape calls only the closures of
 * inputs that lead to a trained variable. Forward and gradients run the same kernels as tfjs's, in the
 * same order: the values are bit for bit those of `tf.fused.conv2d`.
 *
 * @module
 */
import { tf } from "./tfjs.ts";

/** Options of {@link conv2dWithBias}. */
export interface ConvWithBiasOptions {
  /** Stride along height and width. */
  strides: number;
  /** Zero padding on every side, or explicit NHWC padding `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
  pad: number | [[number, number], [number, number], [number, number], [number, number]];
}

/**
 * `conv2d(x, filter) + bias` in one kernel, differentiable input by input.
 *
 * @param x NHWC input
 * @param filter `[k, k, inC, outC]`
 * @param bias `[outC]`
 * @param options strides and padding
 * @returns the NHWC output
 */
export function conv2dWithBias(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor,
  options: ConvWithBiasOptions,
): tf.Tensor4D {
  const attrs = {
    strides: options.strides,
    pad: options.pad,
    dataFormat: "NHWC",
    dilations: [1, 1],
    dimRoundingMode: undefined,
    activation: "linear",
    leakyreluAlpha: undefined,
  };
  return tf.engine().runKernel(
    "FusedConv2D",
    { x, filter, bias },
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor4D;
}

tf.registerGradient({
  kernelName: "FusedConv2D",
  inputsToSave: ["x", "filter", "bias"],
  gradFunc: (dyOrDys, saved, attrs) => {
    const dy = dyOrDys as tf.Tensor4D;
    const [x, filter, bias] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
    const { strides, pad, activation, dilations } = attrs as unknown as {
      strides: number;
      pad: ConvWithBiasOptions["pad"];
      activation: string;
      dilations: number | [number, number];
    };
    if (activation !== "linear" || [dilations].flat().some((d) => d !== 1)) {
      throw new Error(
        `FusedConv2D gradient: only a linear activation without dilation is supported, got ${activation}, ` +
          `dilations ${dilations}`,
      );
    }
    // The kernels and attributes of tfjs's conv2DBackpropInput / conv2DBackpropFilter ops (not exported).
    const convAttrs = { strides, pad, dataFormat: "NHWC", dimRoundingMode: undefined };
    const run = (kernel: string, inputs: tf.NamedTensorMap, more: Record<string, unknown>) =>
      tf.engine().runKernel(
        kernel,
        inputs,
        { ...convAttrs, ...more } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor;
    return {
      x: () => run("Conv2DBackpropInput", { dy, filter }, { inputShape: x.shape }),
      filter: () => run("Conv2DBackpropFilter", { x, dy }, { filterShape: filter.shape }),
      bias: () => {
        const axes = tf.backend_util.getReductionAxes(bias.shape, dy.shape);
        return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, bias.shape);
      },
    };
  },
});
