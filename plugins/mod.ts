/**
 * Our plugins, registered with the kernel's registry on import, so pipelines and commands can name
 * them (`.from("aligned")`, `.use("one-hot")`, `.use("generate", { weights })`). A third-party plugin
 * registers the same way: `registry.register(myPlugin)` or `await loadPlugin("./my_plugin.ts")`.
 *
 * @module
 */
import { registry } from "../kernel/registry.ts";
import type { Plugin } from "../kernel/plugin.ts";
import {
  type ade20kDataset,
  type alignedDataset,
  boundaries,
  builtinDatasets,
  type cityscapesDataset,
  encodeInput,
  generatorInput,
  type helenDataset,
  oneHotTransform,
  readFiles,
} from "./data/mod.ts";
import type { clusterFeaturesStage, generateStage, writeImagesStage } from "./inference/stages.ts";
import { networkPlugins } from "./networks/mod.ts";
import { lossPlugins } from "./losses/mod.ts";
import { adamPlugin } from "./optim/adam.ts";
import { inferencePlugins } from "./inference/mod.ts";

/** Every plugin this project ships. */
export const builtinPlugins: readonly Plugin[] = [
  ...builtinDatasets,
  readFiles,
  boundaries,
  oneHotTransform,
  generatorInput,
  encodeInput,
  ...networkPlugins,
  ...lossPlugins,
  adamPlugin,
  ...inferencePlugins,
] as Plugin[];

for (const plugin of builtinPlugins) registry.register(plugin);

declare module "../kernel/plugin.ts" {
  /** Our pipeline plugins by name: their options are typed wherever a pipeline names them. */
  interface PluginsByName {
    aligned: typeof alignedDataset;
    cityscapes: typeof cityscapesDataset;
    ade20k: typeof ade20kDataset;
    helen: typeof helenDataset;
    "read-files": typeof readFiles;
    boundaries: typeof boundaries;
    "one-hot": typeof oneHotTransform;
    "generator-input": typeof generatorInput;
    "encode-input": typeof encodeInput;
    "cluster-features": typeof clusterFeaturesStage;
    generate: typeof generateStage;
    "write-images": typeof writeImagesStage;
  }
}
