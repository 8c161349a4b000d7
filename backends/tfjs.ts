/**
 * TensorFlow.js itself: the core, its vendored gradients, and the cpu and wasm backends. Only
 * `backends/tf.ts` and the kernels it registers (`backends/wasm/`) import this module; everything else
 * imports `tf` from `backends/tf.ts`, which adds our kernels and gradient fixes on top.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "../vendor/tfjs_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

export { tf };
