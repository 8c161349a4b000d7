/**
 * The networks, numerically equal to the official pix2pixHD code: global generator, local enhancer,
 * multiscale discriminator and feature encoder (NHWC, official state_dict names), their plugins, and
 * architecture inference from checkpoints.
 *
 * @module
 */
import { encoderPlugin } from "./encoder.ts";
import { globalGeneratorPlugin } from "./global_generator.ts";
import { localEnhancerPlugin } from "./local_enhancer.ts";
import { multiscaleDiscriminatorPlugin } from "./multiscale_discriminator.ts";

export { Module, type ParamLayout } from "./_module.ts";
export { Encoder, type EncoderOptions, encoderPlugin, encoderSchema } from "./encoder.ts";
export {
  GlobalGenerator,
  type GlobalGeneratorOptions,
  globalGeneratorPlugin,
  globalGeneratorSchema,
} from "./global_generator.ts";
export {
  LocalEnhancer,
  type LocalEnhancerOptions,
  localEnhancerPlugin,
  localEnhancerSchema,
  type LocalEnhancerTrace,
} from "./local_enhancer.ts";
export {
  MultiscaleDiscriminator,
  type MultiscaleDiscriminatorOptions,
  multiscaleDiscriminatorPlugin,
  multiscaleDiscriminatorSchema,
} from "./multiscale_discriminator.ts";
export {
  checkGeneratorInput,
  inferDiscriminator,
  inferEncoder,
  inferGenerator,
  type InferredGenerator,
  type InputFlags,
} from "./infer.ts";
export { instanceMeans } from "./_layers/instance_pool.ts";
export { downsample } from "./_layers/pool.ts";

/** Every network plugin, for the registry. */
export const networkPlugins = [
  globalGeneratorPlugin,
  localEnhancerPlugin,
  multiscaleDiscriminatorPlugin,
  encoderPlugin,
];
