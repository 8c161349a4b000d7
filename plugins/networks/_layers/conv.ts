/**
 * PyTorch-style convolutions on NHWC batches: `nn.Conv2d` (symmetric zero padding, with bias) and
 * `nn.ConvTranspose2d` (padding and output_padding). Weights are initialised as the official
 * `weights_init` (N(0, 0.02)) and biases as PyTorch's default (U(±1/√fan_in)).
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";
import { conv2dWithBias } from "../../../backends/conv_bias.ts";
import type { LayerSpec } from "./layer.ts";
import { convolveInBands } from "./row_bands.ts";

/** Options of a convolution. */
export interface ConvOptions {
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding on every side (default 0). */
  padding?: number;
}

/**
 * `nn.Conv2d(inC, outC, kernel, stride, padding)` with bias. Weight stored as tfjs [k, k, inC, outC].
 *
 * @param inC input channels
 * @param outC output channels
 * @param kernel kernel size
 * @param options stride and padding
 * @returns the layer spec
 */
export function conv2d(inC: number, outC: number, kernel: number, options: ConvOptions = {}): LayerSpec {
  const { stride = 1, padding = 0 } = options;
  return (module, name) => {
    const filter = module.addParam(
      `${name}.weight`,
      "kernel",
      () => module.normal([kernel, kernel, inC, outC], 0, 0.02),
    );
    const bound = 1 / Math.sqrt(inC * kernel * kernel);
    const bias = module.addParam(`${name}.bias`, "vector", () => module.uniform([outC], bound));
    return {
      apply: (x) =>
        convolveInBands(
          x,
          { kernel, stride, padding },
          (rows, [top, bottom]) =>
            conv2dWithBias(rows, filter as tf.Tensor4D, bias, {
              strides: stride,
              pad: top === padding && bottom === padding
                ? padding
                : [[0, 0], [top, bottom], [padding, padding], [0, 0]],
            }),
        ),
    };
  };
}

/**
 * `nn.ConvTranspose2d(inC, outC, kernel, stride, padding, output_padding)` with bias. Output side:
 * (in - 1)·stride - 2·padding + kernel + output_padding. Weight stored as tfjs [k, k, outC, inC].
 *
 * @param inC input channels
 * @param outC output channels
 * @param kernel kernel size
 * @param options stride, padding and outputPadding (must be smaller than the stride)
 * @returns the layer spec
 */
export function convTranspose2d(
  inC: number,
  outC: number,
  kernel: number,
  options: ConvOptions & { outputPadding?: number } = {},
): LayerSpec {
  const { stride = 1, padding = 0, outputPadding = 0 } = options;
  return (module, name) => {
    const filter = module.addParam(
      `${name}.weight`,
      "kernel",
      () => module.normal([kernel, kernel, outC, inC], 0, 0.02),
    );
    // PyTorch's fan_in of a transposed conv weight [in, out, k, k] is out·k·k
    const bound = 1 / Math.sqrt(outC * kernel * kernel);
    const bias = module.addParam(`${name}.bias`, "vector", () => module.uniform([outC], bound));
    const side = (n: number) => (n - 1) * stride - 2 * padding + kernel + outputPadding;
    return {
      apply: (x) =>
        tf.tidy(() => {
          const [b, h, w] = x.shape;
          const y = tf.conv2dTranspose(
            x,
            filter as tf.Tensor4D,
            [b, side(h), side(w), outC],
            stride,
            padding,
          );
          return tf.add(y, bias);
        }),
    };
  };
}
