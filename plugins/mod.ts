/**
 * Our plugins, registered with the kernel's registry on import, so pipelines and commands can name
 * them (`.from("aligned")`, `.use("one-hot")`, `.use("generate", { weights })`). A third-party plugin
 * registers the same way: `registry.register(myPlugin)` or `await loadPlugin("./my_plugin.ts")`.
 *
 * @module
 */
import { registry } from "../kernel/registry.ts";
import type { Plugin } from "../kernel/plugin.ts";
import { boundaries, builtinDatasets, generatorInput, oneHotTransform } from "./data/mod.ts";
import { networkPlugins } from "./networks/mod.ts";
import { lossPlugins } from "./losses/mod.ts";
import { adamPlugin } from "./optim/adam.ts";
import { inferencePlugins } from "./inference/mod.ts";

/** Every plugin this project ships. */
export const builtinPlugins: readonly Plugin[] = [
  ...builtinDatasets,
  boundaries,
  oneHotTransform,
  generatorInput,
  ...networkPlugins,
  ...lossPlugins,
  adamPlugin,
  ...inferencePlugins,
] as Plugin[];

for (const plugin of builtinPlugins) registry.register(plugin);
