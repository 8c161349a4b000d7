/**
 * Training kernels for the TensorFlow.js wasm backend. tfjs-backend-wasm 4.22 cannot train a conv net
 * (it has no Conv2DBackpropFilter) and its Conv2DBackpropInput, which also runs conv2dTranspose, is ~10×
 * slower than its forward conv. Importing this module registers kernels built from the backend's fast
 * XNNPACK convs and matMuls.
 *
 * @example
 * ```ts
 * import { registerWasmTrainingKernels } from "./kernel/wasm/mod.ts";
 * registerWasmTrainingKernels(); // ["Conv2DBackpropFilter", "Conv2DBackpropInput"]
 * ```
 *
 * @module
 */
import { tf } from "../tf.ts";
import { conv2dBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { conv2dBackpropInputConfig } from "./conv2d_backprop_input.ts";
import { identityConfig } from "./identity.ts";
import { mirrorPadGradConfig } from "./mirror_pad_grad.ts";

export { conv2dFilterGradient } from "./conv2d_backprop_filter.ts";
export {
  conv2dInputGradient,
  type InputGradientStrategy,
  inputGradientStrategy,
} from "./conv2d_backprop_input.ts";
export { type ConvGeometry, convGeometry, type ConvGradAttrs } from "./_conv_geometry.ts";
export { enableWasmThreads } from "./threads.ts";

const TRAINING_KERNELS: tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  identityConfig,
  mirrorPadGradConfig,
];

let registered = false;

/**
 * Registers this module's kernels on the wasm backend, replacing the backend's own where it has one.
 * Runs once (at module load); later calls change nothing, so kernels registered over these afterwards
 * (e.g. oneDNN's) stay in place.
 *
 * @returns the names of the kernels this module registered
 */
export function registerWasmTrainingKernels(): string[] {
  if (!registered) {
    for (const config of TRAINING_KERNELS) {
      if (tf.getKernel(config.kernelName, "wasm") !== undefined) {
        tf.unregisterKernel(config.kernelName, "wasm");
      }
      tf.registerKernel(config);
    }
    registered = true;
  }
  return TRAINING_KERNELS.map((config) => config.kernelName);
}

registerWasmTrainingKernels();
