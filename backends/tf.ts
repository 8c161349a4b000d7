/**
 * TensorFlow.js as every module uses it: imported from here, so the gradients, the cpu and wasm
 * backends and our own kernels are registered exactly once. (`backends/tfjs.ts` is TensorFlow.js alone,
 * for the kernels registered here, so that they do not import this module back.)
 *
 * @module
 */
import { tf } from "./tfjs.ts";
import "./gradients.ts"; // our fixes to tfjs's gradients, registered over the vendored ones
import "./wasm/mod.ts"; // conv-gradient kernels that let the wasm backend train

export { tf };
/** A 4-D tensor in TensorFlow.js's NHWC layout: `[batch, height, width, channels]`. */
export type Tensor4D = tf.Tensor4D;

// Quiet tfjs's "install tfjs-node" banner and debug checks: backend choice is ours (backends/select.ts).
tf.env().set("PROD", true);
