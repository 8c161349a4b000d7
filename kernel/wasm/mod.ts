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

export { conv2dFilterGradient } from "./conv2d_backprop_filter.ts";
export { conv2dInputGradient } from "./conv2d_backprop_input.ts";
export { convGeometry, type ConvGeometry } from "./_conv_geometry.ts";

const TRAINING_KERNELS: tf.KernelConfig[] = [conv2dBackpropFilterConfig, conv2dBackpropInputConfig];

/**
 * Registers this module's kernels on the wasm backend, replacing the backend's own where it has one.
 * Idempotent: kernels already registered by this module are left as they are.
 *
 * @returns the names of this module's kernels, all registered for "wasm" when it returns
 */
export function registerWasmTrainingKernels(): string[] {
  for (const config of TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, "wasm");
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel(config);
  }
  return TRAINING_KERNELS.map((config) => config.kernelName);
}

registerWasmTrainingKernels();
