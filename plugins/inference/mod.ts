/**
 * Inference: opening generators (official .pth or ours), synthesis, pipeline stages and reports.
 *
 * @module
 */
export {
  type OpenedGenerator,
  openEncoder,
  openGenerator,
  readStateDict,
  type TrainedFlags,
} from "./generator_file.ts";
export {
  type FeatureSource,
  type Synthesized,
  Synthesizer,
  type SynthOptions,
  synthSchema,
} from "./synthesize.ts";
export { type RuntimeName, type RuntimeOptions, RUNTIMES, runtimeSchema } from "./runtime_options.ts";
export { OnnxGenerator, onnxGeneratorFor, releaseOnnxGenerators } from "./onnx_generator.ts";
export { clusterFeaturesStage, generateStage, writeImagesStage } from "./stages.ts";
export { type ReportRow, writeReport } from "./report.ts";
export { findNetwork, locateNetwork, networkOfPath, networkPath } from "../checkpoints/files.ts";

import { clusterFeaturesStage, generateStage, writeImagesStage } from "./stages.ts";
/** This folder's plugins. */
export const inferencePlugins = [clusterFeaturesStage, generateStage, writeImagesStage];
