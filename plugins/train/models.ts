/**
 * The networks of a training run, each created by the registered plugin that provides it, from the
 * training options: the generator (`netG:<--netG>`: global, local enhancer, or a `--plugin`'s), the
 * multiscale discriminator (`netD:multiscale`), the feature encoder (`netE`, with
 * `instance_feat`/`label_feat`, unless `load_features` reads the features from files) and the frozen
 * VGG19 of the perceptual loss; plus which parameters each optimizer trains, and loading a pretrained
 * stage (`load_pretrain`) the way the official `load_network` does.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { UsageError } from "../../kernel/cli.ts";
import { CheckpointError, OptionsError, PipelineError } from "../../kernel/errors.ts";
import { log } from "../../kernel/log.ts";
import { closest } from "../../kernel/options.ts";
import type { KernelContext } from "../../kernel/plugin.ts";
import type { Rng } from "../../kernel/random.ts";
import { registry } from "../../kernel/registry.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { decodeSafetensors } from "../../formats/safetensors.ts";
import "../mod.ts"; // registers the built-in networks, losses and Adam, which training creates by name
import { loadPlugins } from "../data/dataset_option.ts";
import type { Module } from "../networks/_module.ts";
import type { MultiscaleDiscriminator } from "../networks/multiscale_discriminator.ts";
import type { Encoder } from "../networks/encoder.ts";
import { VGG19_HELP, Vgg19Features } from "../losses/vgg19.ts";
import {
  discriminatorInputChannels,
  generatorInputChannels,
  type TrainOptions,
  trainsEncoder,
} from "./options.ts";

/**
 * A generator a run can train: a `Module` (parameters, state dict) that maps the generator input to
 * images. The built-in ones are `GlobalGenerator` and `LocalEnhancer`; a `--plugin` can provide another.
 */
export type Generator = Module & { apply(x: tf.Tensor4D): tf.Tensor4D };

/** The networks of a run. */
export interface Models {
  /** The generator: what the plugin providing `netG:<--netG>` makes. */
  G: Generator;
  /** The multiscale discriminator. */
  D: MultiscaleDiscriminator;
  /** The feature encoder, trained with G (only with instance_feat / label_feat, without load_features). */
  E: Encoder | null;
  /** The frozen VGG19 features (null with no_vgg_loss). */
  vgg: Vgg19Features | null;
}

/**
 * The capability of the generator `--netG` names: `netG:<name>`, provided by a registered plugin
 * (global-generator, local-enhancer, or one a `--plugin` module registers).
 *
 * @param netG the `--netG` value
 * @returns the capability
 * @throws {UsageError} naming the closest and every registered generator (exit 2 in a command)
 */
export function generatorCapability(netG: string): string {
  const capability = `netG:${netG}`;
  if (registry.providers(capability).length) return capability;
  const names = registry.capabilities("netG:").map((c) => c.slice("netG:".length));
  const hint = closest(netG, names);
  throw new UsageError(
    `unknown --netG "${netG}"${hint ? ` (did you mean "${hint}"?)` : ""}; registered generators: ${
      names.join(", ")
    } (a --plugin module can register one providing "netG:<name>")`,
  );
}

/**
 * Builds the networks with fresh weights, each by the registered plugin that provides it: the
 * generator `netG:<--netG>`, the discriminator `netD:multiscale` and the encoder `netE`, each given
 * the run's options its schema declares (a `--plugin` module is loaded first, so that its generator
 * can be named). Each network's initialisation seed is drawn from `rng`, G's first, then D's, then E's.
 *
 * @param opts the run's options
 * @param rng the run's random source
 * @param vgg the VGG19 features to use (default: loaded from `opts.vgg_weights`)
 * @returns the networks; the caller disposes them with `disposeModels`
 * @throws {UsageError} for a `--netG` no registered plugin provides
 * @throws {OptionsError} when the VGG loss is on and no weights are given
 * @throws {CheckpointError} when the VGG weights cannot be read
 * @throws {PipelineError} when the generator plugin makes no trainable network
 */
export async function buildModels(opts: TrainOptions, rng: Rng, vgg?: Vgg19Features): Promise<Models> {
  await loadPlugins(opts.plugin ?? []);
  const netG = generatorCapability(opts.netG);
  let features: Vgg19Features | null = vgg ?? null;
  if (!opts.no_vgg_loss && !features) features = await loadVgg(opts.vgg_weights);
  const ctx = trainingContext();
  const G = checkGenerator(
    registry.provide(netG, { ...opts, input_nc: generatorInputChannels(opts), seed: rng.seed() }, ctx),
    netG,
  );
  const D = registry.provide<MultiscaleDiscriminator>("netD:multiscale", {
    ...opts,
    input_nc: discriminatorInputChannels(opts),
    getIntermFeat: !opts.no_ganFeat_loss,
    use_sigmoid: opts.no_lsgan,
    seed: rng.seed(),
  }, ctx);
  const E = trainsEncoder(opts)
    ? registry.provide<Encoder>("netE", { ...opts, input_nc: opts.output_nc, seed: rng.seed() }, ctx)
    : null;
  return { G, D, E, vgg: features };
}

/** The kernel context training creates its plugins with. */
export function trainingContext(): KernelContext {
  return { backend: tf.getBackend(), log };
}

function checkGenerator(made: unknown, capability: string): Generator {
  const net = made as Partial<Generator> | null;
  const methods = ["apply", "params", "stateDict", "loadStateDict", "dispose"] as const;
  const missing = methods.filter((m) => typeof net?.[m] !== "function");
  if (missing.length) {
    throw new PipelineError(
      `The plugin providing "${capability}" (${registry.provider(capability).name}) made no trainable ` +
        `generator: it lacks ${missing.join(", ")} (extend Module and add apply)`,
    );
  }
  return made as Generator;
}

async function loadVgg(path: string | null): Promise<Vgg19Features> {
  if (path === null) {
    throw new OptionsError(
      "train",
      "vgg_weights",
      `is needed for the VGG loss: ${VGG19_HELP} with --vgg_weights <path>, or pass --no_vgg_loss: current value is null`,
    );
  }
  if (!path.endsWith(".safetensors")) return await Vgg19Features.load(path);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    throw new CheckpointError(path, `VGG19 weights not found: ${VGG19_HELP}`);
  }
  return Vgg19Features.fromStateDict(decodeSafetensors(bytes, path).tensors, path);
}

/**
 * Frees every network of a run.
 *
 * @param models the networks
 */
export function disposeModels(models: Models): void {
  models.G.dispose();
  models.D.dispose();
  models.E?.dispose();
  models.vgg?.dispose();
}

/**
 * What optimizer_G trains, by prefixed name (`G.<official name>`, `E.<official name>`): all of G, or
 * while the global part is fixed (`niter_fix_global`) only the outermost enhancer's parameters
 * (`model{n_local_enhancers}*`), and the encoder in both cases.
 *
 * @param models the networks
 * @param opts the run's options
 * @param fixedGlobal whether the global part is fixed now
 * @returns the parameters
 */
export function generatorParams(
  models: Models,
  opts: TrainOptions,
  fixedGlobal: boolean,
): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  const prefix = `model${opts.n_local_enhancers}`;
  for (const [name, v] of models.G.params()) {
    if (!fixedGlobal || name.startsWith(prefix)) out.set(`G.${name}`, v);
  }
  for (const [name, v] of models.E?.params() ?? []) out.set(`E.${name}`, v);
  return out;
}

/**
 * What optimizer_D trains, by prefixed name (`D.<official name>`).
 *
 * @param models the networks
 * @returns the parameters
 */
export function discriminatorParams(models: Models): Map<string, tf.Variable> {
  return new Map([...models.D.params()].map(([name, v]) => [`D.${name}`, v]));
}

/** The outcome of loading pretrained weights into a network. */
export interface PretrainedLoad {
  /** Parameters taken from the file. */
  loaded: string[];
  /** Parameters of the network the file does not have (they keep their fresh initialisation). */
  fresh: string[];
  /** Tensors of the file the network does not use. */
  unused: string[];
}

/**
 * Loads what fits of a pretrained state dict, as the official `load_network` does when the shapes of
 * the networks differ (e.g. a 512p global generator into the global part `model.*` of a local
 * enhancer, whose last three modules are dropped; a 2-scale D into a 3-scale D), but refusing a tensor
 * whose name matches with another shape instead of skipping it silently.
 *
 * @param net the network (anything with `stateDict`/`loadStateDict`)
 * @param sd the pretrained tensors (PyTorch layout, official names)
 * @param file where they came from, named in errors
 * @param required name prefix every parameter of which must be loaded (e.g. `model.` for G)
 * @returns what was loaded, what stays fresh, what was not used
 * @throws {CheckpointError} naming a tensor of another shape, or the required ones that are missing
 */
export function loadPretrained(
  net: { stateDict(): Map<string, NdArray>; loadStateDict(sd: Map<string, NdArray>, file: string): void },
  sd: Map<string, NdArray>,
  file: string,
  required = "",
): PretrainedLoad {
  const current = net.stateDict();
  const loaded: string[] = [], unused: string[] = [];
  for (const [name, array] of sd) {
    const mine = current.get(name);
    if (!mine) {
      unused.push(name);
      continue;
    }
    if (mine.shape.join() !== array.shape.join()) {
      throw new CheckpointError(
        file,
        `${name} has shape [${array.shape.join(", ")}] there but [${
          mine.shape.join(", ")
        }] in this network: ` +
          `was it trained with other --ngf, --label_nc, --n_downsample_global or --no_instance?`,
      );
    }
    current.set(name, array);
    loaded.push(name);
  }
  const fresh = [...current.keys()].filter((name) => !sd.has(name));
  const missing = required ? fresh.filter((name) => name.startsWith(required)) : [];
  if (missing.length || loaded.length === 0) {
    const list = (missing.length ? missing : [...current.keys()]).slice(0, 5).join(", ");
    throw new CheckpointError(file, `does not hold this network's ${list}${missing.length > 5 ? ", …" : ""}`);
  }
  net.loadStateDict(current, file);
  return { loaded, fresh, unused };
}
