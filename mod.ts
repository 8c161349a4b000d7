/**
 * pix2pixHD for Deno: label maps → photo-realistic images, and object-level scene editing, on
 * TensorFlow.js. This module exports the public API (what a notebook, a script or a plugin author uses;
 * internals stay in their modules); importing it registers the built-in plugins.
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
// The kernel: plugins, options, the registry, pipelines, errors, logging
export { tf } from "./backends/tf.ts";
export {
  BackendError,
  CheckpointError,
  DataError,
  isUserError,
  OptionsError,
  PipelineError,
} from "./kernel/errors.ts";
export {
  defineSchema,
  type OptionsOf,
  type OptionSpec,
  resolveOptions,
  type Schema,
} from "./kernel/options.ts";
export {
  definePlugin,
  type Facts,
  type KernelContext,
  type Plugin,
  type PluginOptions,
  type PluginsByName,
  type Sample,
  type SinkStage,
  type SourceStage,
  type Stage,
  type TransformStage,
} from "./kernel/plugin.ts";
export { loadPlugin, Registry, registry } from "./kernel/registry.ts";
export {
  collate,
  Pipeline,
  pipeline,
  type PipelineOptions,
  RunnablePipeline,
  type SampleSource,
  type SinkResult,
} from "./kernel/pipeline.ts";
export { disposeAll } from "./kernel/memory.ts";
export { Rng } from "./kernel/random.ts";
export { createLogger, log, type Logger, type LogLevel } from "./kernel/log.ts";

// Backends and tensor files
export {
  activeBackendName,
  type BackendChoice,
  type BackendName,
  BACKENDS,
  selectBackend,
} from "./backends/select.ts";
export { diagnose } from "./backends/doctor.ts";
export { loadNpy, readNpy, writeNpy } from "./formats/npy.ts";
export { loadPth, readPth } from "./formats/pth.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  saveSafetensors,
} from "./formats/safetensors.ts";
export type { DType, NdArray } from "./formats/ndarray.ts";

// Data: dataset plugins, their built-in transforms, reading and writing label maps and pictures
export { builtinPlugins } from "./plugins/mod.ts";
export {
  type DatasetFacts,
  type DatasetPlugin,
  defineDataset,
  factsOf,
  isDatasetPlugin,
} from "./plugins/data/dataset_plugin.ts";
export { type DatasetIndex, datasetSchema, type DatasetSource, type Problem } from "./plugins/data/source.ts";
export type { Entry } from "./plugins/data/sample_reader.ts";
export { builtinDatasets, registeredDatasets, resolveDataset } from "./plugins/data/dataset_option.ts";
export { alignedDataset, indexAligned } from "./plugins/data/datasets/aligned.ts";
export { cityscapesDataset } from "./plugins/data/datasets/cityscapes.ts";
export { ade20kDataset } from "./plugins/data/datasets/ade20k.ts";
export { helenDataset } from "./plugins/data/datasets/helen.ts";
export {
  boundaries,
  encodeInput,
  encodeSample,
  generatorInput,
  oneHotTransform,
} from "./plugins/data/transforms.ts";
export { entrySample, readFiles } from "./plugins/data/read_files.ts";
export {
  type DatasetReport,
  inspectDataset,
  inspectLabel,
  type LabelReport,
} from "./plugins/data/inspect.ts";
export { type DecodedImage, decodeImage, readImageFile } from "./plugins/data/decode.ts";
export { classOfInstance, toInstanceIds, toLabelIds, toRgb } from "./plugins/data/maps.ts";
export { colorsToIds, idsToColors, type Palette } from "./plugins/data/palette.ts";
export { loadPalette, PALETTES } from "./plugins/data/palettes/mod.ts";
export { labelColormap } from "./plugins/data/palettes/label_colormap.ts";
export type { Raster, RasterData } from "./plugins/data/raster.ts";
export { resizeBicubic, resizeNearest } from "./plugins/data/resize.ts";
export { boundaryMap } from "./plugins/data/edges.ts";
export { oneHot } from "./plugins/data/one_hot.ts";
export { idsToTensor, rgbToTensor } from "./plugins/data/sample_tensors.ts";
export { encodePng, imageToPng, imageToRaster, writePng } from "./plugins/data/write_image.ts";

// Networks (the official architectures and state_dict names), losses, the optimizer
export { Module } from "./plugins/networks/_module.ts";
export {
  GlobalGenerator,
  type GlobalGeneratorOptions,
  globalGeneratorPlugin,
} from "./plugins/networks/global_generator.ts";
export {
  LocalEnhancer,
  type LocalEnhancerOptions,
  localEnhancerPlugin,
} from "./plugins/networks/local_enhancer.ts";
export {
  MultiscaleDiscriminator,
  type MultiscaleDiscriminatorOptions,
  multiscaleDiscriminatorPlugin,
} from "./plugins/networks/multiscale_discriminator.ts";
export { Encoder, type EncoderOptions, encoderPlugin } from "./plugins/networks/encoder.ts";
export {
  inferDiscriminator,
  inferEncoder,
  inferGenerator,
  type InferredGenerator,
} from "./plugins/networks/infer.ts";
export {
  type DiscriminatorOutput,
  GAN_MODES,
  type GanLoss,
  ganLoss,
  ganLossPlugin,
  type GanMode,
} from "./plugins/losses/gan_loss.ts";
export {
  type FeatureMatchingLoss,
  featureMatchingLoss,
  featureMatchingPlugin,
} from "./plugins/losses/feature_matching.ts";
export { type VggLoss, vggLoss, vggLossPlugin } from "./plugins/losses/vgg_loss.ts";
export { Vgg19Features } from "./plugins/losses/vgg19.ts";
export { LOSS_NAMES, type LossEntry, LOSSES, type Losses, type LossName } from "./plugins/losses/catalog.ts";
export { Adam, adamPlugin, type AdamState } from "./plugins/optim/adam.ts";
export { namedGrads } from "./plugins/optim/grads.ts";

// Inference: open a trained generator, synthesize, the pipeline stages, the demo
export {
  type OpenedGenerator,
  openEncoder,
  openGenerator,
  readStateDict,
} from "./plugins/inference/generator_file.ts";
export {
  type FeatureSource,
  type Synthesized,
  Synthesizer,
  type SynthOptions,
} from "./plugins/inference/synthesize.ts";
export { type RuntimeName, type RuntimeOptions, RUNTIMES } from "./plugins/inference/runtime_options.ts";
export { OnnxGenerator, releaseOnnxGenerators } from "./plugins/inference/onnx_generator.ts";
export { clusterFeatures, encodedFeatures } from "./plugins/inference/features.ts";
export { clusterFeaturesStage, generateStage, writeImagesStage } from "./plugins/inference/stages.ts";
export { runDemo } from "./plugins/inference/demo.ts";

// Instance-wise features: encode, cluster, precompute
export { type Clusters, findClustersFile, loadClusters, saveClusters } from "./plugins/features/clusters.ts";
export {
  type EncodedFeatures,
  encodeFeatures,
  type EncodeFeaturesOptions,
} from "./plugins/features/encode_features.ts";
export { kmeansCentres, type KMeansOptions } from "./plugins/features/kmeans.ts";
export { precomputeFeatureMaps, type PrecomputeOptions } from "./plugins/features/precompute.ts";
export { randomStyle, type StyleSpec } from "./plugins/features/style_spec.ts";

// Scene editing
export { type Editor, type EditorOptions, findFeatureModel, openEditor } from "./plugins/editing/editor.ts";
export { applyOps, type EditOp, readOps } from "./plugins/editing/ops.ts";
export { SceneRenderer } from "./plugins/editing/renderer.ts";
export { type ClassRef, type InstanceInfo, Scene } from "./plugins/editing/scene.ts";
export { loadScene, type LoadSceneOptions, saveScene, sceneFromMaps } from "./plugins/editing/scene_io.ts";

// Training and export
export { train, type TrainHooks, type TrainResult } from "./plugins/train/trainer.ts";
export { resolveTrainOptions, type TrainOptions, trainSchema } from "./plugins/train/options.ts";
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportResult,
  exportWeights,
} from "./plugins/export/export.ts";
export { encoderToOnnx, generatorToOnnx } from "./plugins/export/onnx.ts";
export { encodePth } from "./plugins/export/pth.ts";
