/**
 * Training kernels for the TensorFlow.js wasm backend. tfjs-backend-wasm 4.22 cannot train a conv net
 * (it has no Conv2DBackpropFilter) and its Conv2DBackpropInput, which also runs conv2dTranspose, is ~10×
 * slower than its forward conv. Importing this module registers kernels built from the backend's fast
 * XNNPACK convs and matMuls, a zero-copy `Identity`, the reflection padding's gradient in one pass,
 * `Mean`/`Sum` over the pixels accumulated in float64 (the backend's float32 sums drift at 2048×1024),
 * and the pooling gradients as gathers over channel rows (the backend's loop over every tap of every
 * value).
 *
 * @example
 * ```ts
 * import { registerWasmTrainingKernels } from "./backends/wasm/mod.ts";
 * registerWasmTrainingKernels(); // ["Conv2DBackpropFilter", "Conv2DBackpropInput", "Identity", …]
 * ```
 *
 * @module
 */
import { tf } from "../tfjs.ts";
import { conv2dBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { conv2dBackpropInputConfig } from "./conv2d_backprop_input.ts";
import { identityConfig } from "./identity.ts";
import { mirrorPadGradConfig } from "./mirror_pad_grad.ts";
import { pixelReduceConfig } from "./pixel_reduce.ts";
import { poolGradConfig } from "./pool_grad.ts";

export { conv2dFilterGradient } from "./conv2d_backprop_filter.ts";
export {
  conv2dInputGradient,
  type InputGradientStrategy,
  inputGradientStrategy,
} from "./conv2d_backprop_input.ts";
export { type ConvGeometry, convGeometry, type ConvGradAttrs } from "./_conv_geometry.ts";
export { enableWasmThreads, releaseSpareWasmWorkers, wasmThreadCount } from "./threads.ts";

/** Each kernel's config, given the config registered before it (if any). */
const TRAINING_KERNELS: ((previous?: tf.KernelConfig) => tf.KernelConfig)[] = [
  () => conv2dBackpropFilterConfig,
  () => conv2dBackpropInputConfig,
  () => identityConfig,
  () => mirrorPadGradConfig,
  (previous) => pixelReduceConfig("Mean", previous),
  (previous) => pixelReduceConfig("Sum", previous),
  (previous) => poolGradConfig("MaxPoolGrad", previous),
  (previous) => poolGradConfig("AvgPoolGrad", previous),
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
    for (const make of TRAINING_KERNELS) {
      const name = make().kernelName;
      const previous = tf.getKernel(name, "wasm");
      if (previous !== undefined) tf.unregisterKernel(name, "wasm");
      tf.registerKernel(make(previous));
    }
    registered = true;
  }
  return TRAINING_KERNELS.map((make) => make().kernelName);
}

registerWasmTrainingKernels();
