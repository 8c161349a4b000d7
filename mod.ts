/**
 * pix2pixHD for Deno: label maps → photo-realistic images, and object-level scene editing, on
 * TensorFlow.js. This module re-exports the public API; importing it registers the built-in plugins.
 *
 * @example
 * ```ts
 * import { openGenerator, selectBackend, Synthesizer } from "./mod.ts";
 * await selectBackend("auto");
 * const generator = await openGenerator("latest_net_G.pth"); // the official 1024p model, say
 * const synth = new Synthesizer(generator, { label_nc: 35 });
 * const { image } = await synth.synthesize({ name: "x", label: "x_labelIds.png", inst: "x_instanceIds.png" });
 * ```
 *
 * @module
 */
// The kernel
export { tf } from "./backends/tf.ts";
export * from "./kernel/errors.ts";
export * from "./kernel/options.ts";
export * from "./kernel/plugin.ts";
export * from "./kernel/registry.ts";
export * from "./kernel/pipeline.ts";
export * from "./backends/select.ts";
export * from "./kernel/memory.ts";
export * from "./kernel/random.ts";
export * from "./kernel/log.ts";
export { diagnose } from "./backends/doctor.ts";
export { loadNpy, readNpy, writeNpy } from "./formats/npy.ts";
export { loadPth, readPth } from "./formats/pth.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  saveSafetensors,
} from "./formats/safetensors.ts";
export { loadClustersNpy, readClustersNpy } from "./formats/clusters.ts";
export type { DType, NdArray } from "./formats/ndarray.ts";

// The plugins (registered with `registry` on import)
export { builtinPlugins } from "./plugins/mod.ts";
export * from "./plugins/data/mod.ts";
export * from "./plugins/networks/mod.ts";
export * from "./plugins/losses/mod.ts";
export { Adam, adamPlugin, type AdamState } from "./plugins/optim/adam.ts";
export { namedGrads } from "./plugins/optim/grads.ts";
export * from "./plugins/inference/mod.ts";
export { clusterFeatures, encodedFeatures } from "./plugins/inference/features.ts";
export { runDemo } from "./plugins/inference/demo.ts";
export * from "./plugins/features/mod.ts";
export * from "./plugins/editing/mod.ts";
export { train, type TrainHooks, type TrainResult } from "./plugins/train/trainer.ts";
export { resolveTrainOptions, type TrainOptions, trainSchema } from "./plugins/train/options.ts";
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportResult,
  exportWeights,
  resolveFormat,
} from "./plugins/export/export.ts";
export { encoderToOnnx, generatorToOnnx } from "./plugins/export/onnx.ts";
export { encodePth } from "./plugins/export/pth.ts";
