/**
 * The training options: one typed schema with the official pix2pixHD flag names and defaults
 * (options/base_options.py + options/train_options.py at 14b3b3c), composed from the options of the
 * plugins a run uses and shared by the trainer, the `train` command and the checkpoint metadata.
 *
 * @module
 */
import { defineSchema, type OptionsOf, pick, resolveOptions } from "../../kernel/options.ts";
import { OptionsError } from "../../kernel/errors.ts";
import { deviceSchema } from "../../kernel/device_flags.ts";
import { datasetOptionSchema } from "../data/dataset_option.ts";
import { datasetSchema } from "../data/source.ts";
import { globalGeneratorSchema } from "../networks/global_generator.ts";
import { localEnhancerSchema } from "../networks/local_enhancer.ts";
import { encoderSchema } from "../networks/encoder.ts";
import { multiscaleDiscriminatorSchema } from "../networks/multiscale_discriminator.ts";
import { lossOptionsSchema } from "../losses/options.ts";
import { adamSchema } from "../optim/adam.ts";

/**
 * Every training option, its default and its help line: the options of the plugins a run uses (the
 * dataset, the networks, the losses, Adam), each declared once by its plugin, and training's own
 * (the experiment, the schedule, the starting point, what is watched).
 */
export const trainSchema = defineSchema({
  // experiment
  name: { type: "string", default: "label2city", doc: "name of the experiment: where samples and models go" },
  checkpoints_dir: { type: "string", default: "./checkpoints", doc: "models are saved here" },
  // the official default: a dataset plugin has none
  dataroot: { ...datasetSchema.dataroot, default: "./datasets/cityscapes/" },
  ...datasetOptionSchema,
  ...pick(datasetSchema, "phase"),
  nThreads: { type: "int", default: 2, min: 0, doc: "samples read ahead in background workers (0: inline)" },
  skip_inspect: { type: "boolean", default: false, doc: "skip the up-front check of every dataset file" },
  seed: { type: "int", default: 0, min: 0, doc: "seed of every random draw (init, data order, crops, pool)" },
  debug: {
    type: "boolean",
    default: false,
    doc: "tiny run: 1 epoch of at most 10 images, print and display every step",
  },
  // input
  ...pick(datasetSchema, "label_nc"),
  input_nc: { type: "int", default: 3, min: 1, doc: "input image channels when label_nc is 0" },
  ...pick(globalGeneratorSchema, "output_nc"),
  ...pick(
    datasetSchema,
    "no_instance",
    "batchSize",
    "loadSize",
    "fineSize",
    "resize_or_crop",
    "no_flip",
    "serial_batches",
    "max_dataset_size",
  ),
  // generator
  netG: {
    type: "string",
    default: "global",
    doc:
      'generator: global, local (enhancer), or the <name> of one a --plugin registers (providing "netG:<name>")',
  },
  ...pick(globalGeneratorSchema, "ngf"),
  // training's range, narrower than the network's [0, 10]
  n_downsample_global: { ...globalGeneratorSchema.n_downsample_global, min: 1, max: 8 },
  ...pick(globalGeneratorSchema, "n_blocks_global"),
  // training's range, narrower than the network's [1, 6]
  n_local_enhancers: { ...localEnhancerSchema.n_local_enhancers, max: 4 },
  ...pick(localEnhancerSchema, "n_blocks_local"),
  niter_fix_global: {
    type: "int",
    default: 0,
    min: 0,
    doc: "epochs that train only the outermost local enhancer",
  },
  ...pick(globalGeneratorSchema, "norm"),
  // instance-wise features
  instance_feat: { type: "boolean", default: false, doc: "add encoded instance features as input" },
  label_feat: { type: "boolean", default: false, doc: "add encoded label features as input" },
  ...pick(encoderSchema, "feat_num", "nef"),
  // training's range, narrower than the network's [0, 10]
  n_downsample_E: { ...encoderSchema.n_downsample_E, min: 1, max: 8 },
  load_features: {
    type: "boolean",
    default: false,
    doc:
      "read the features from {phase}_feat (written by precompute_feature_maps) instead of training an encoder",
  },
  // discriminator and losses
  ...pick(multiscaleDiscriminatorSchema, "num_D", "n_layers_D", "ndf"),
  ...pick(lossOptionsSchema, "lambda_feat", "no_ganFeat_loss", "no_vgg_loss"),
  vgg_weights: {
    type: "string",
    default: null,
    doc: "torchvision vgg19 weights (vgg19-dcbb9e9d.pth) for the VGG loss",
  },
  ...pick(lossOptionsSchema, "no_lsgan"),
  pool_size: { type: "int", default: 0, min: 0, doc: "size of the buffer of generated images shown to D" },
  // optimisation and schedule
  ...pick(adamSchema, "lr", "beta1"),
  niter: { type: "int", default: 100, min: 0, doc: "epochs at the starting learning rate" },
  niter_decay: {
    type: "int",
    default: 100,
    min: 0,
    doc: "epochs of linear decay of the learning rate to zero",
  },
  // starting point
  load_pretrain: {
    type: "string",
    default: "",
    doc: "checkpoint folder of a trained global generator to start from",
  },
  continue_train: { type: "boolean", default: false, doc: "continue training: load the latest model" },
  which_epoch: {
    type: "string",
    default: "latest",
    doc: "which checkpoint to load: latest or an epoch number",
  },
  // watching
  save_latest_freq: {
    type: "int",
    default: 1000,
    min: 1,
    doc: "iterations between saves of the latest model",
  },
  save_epoch_freq: { type: "int", default: 10, min: 1, doc: "epochs between checkpoints kept for good" },
  print_freq: { type: "int", default: 100, min: 1, doc: "iterations between loss logs" },
  display_freq: { type: "int", default: 100, min: 1, doc: "iterations between images on the web page" },
  no_html: { type: "boolean", default: false, doc: "do not write the web page checkpoints/<name>/web/" },
  // device and precision (--gpu_ids; --fp16, --data_type 8/16 and --tf_log are refused)
  ...deviceSchema,
});

/** The training options, resolved. */
export type TrainOptions = OptionsOf<typeof trainSchema>;

/**
 * Options that only steer a run (where it writes, how often it reports, how long) and may change
 * between a run and its continuation; every other option defines the model or the data and must not.
 */
export const RUN_CONTROL_KEYS: ReadonlySet<string> = new Set([
  "name",
  "checkpoints_dir",
  "dataroot",
  "nThreads",
  "skip_inspect",
  "debug",
  "continue_train",
  "which_epoch",
  "load_pretrain",
  "niter",
  "niter_decay",
  "save_latest_freq",
  "save_epoch_freq",
  "print_freq",
  "display_freq",
  "no_html",
  "vgg_weights",
  "gpu_ids",
  "plugin",
]);

/**
 * Resolves and checks training options: the schema's defaults under the given values, the official
 * `--debug` overrides, and the combinations the official code rejects or silently mishandles.
 *
 * @param given the user's options (keys as the official flags)
 * @returns the complete options
 * @throws {OptionsError} on an unknown key, a bad value or an impossible combination
 */
export function resolveTrainOptions(given: Record<string, unknown> = {}): TrainOptions {
  const opts = resolveOptions("train", trainSchema, given);
  if (opts.debug) {
    Object.assign(opts, { display_freq: 1, print_freq: 1, niter: 1, niter_decay: 0, max_dataset_size: 10 });
  }
  if (opts.niter + opts.niter_decay < 1) {
    throw new OptionsError(
      "train",
      "niter",
      `plus niter_decay must be at least 1 epoch: current value is ${opts.niter} + ${opts.niter_decay}`,
    );
  }
  if (opts.niter_fix_global > 0 && opts.netG !== "local") {
    throw new OptionsError(
      "train",
      "niter_fix_global",
      `needs --netG local (it fixes the global part of a local enhancer): current value is ${opts.niter_fix_global}`,
    );
  }
  if (opts.instance_feat && opts.no_instance) {
    throw new OptionsError(
      "train",
      "instance_feat",
      "needs instance maps; drop --no_instance: current value is true",
    );
  }
  if (opts.label_nc === 0 && (opts.instance_feat || opts.label_feat)) {
    throw new OptionsError(
      "train",
      opts.instance_feat ? "instance_feat" : "label_feat",
      "needs a label map input (label_nc > 0): current value is true",
    );
  }
  if (opts.load_features) checkLoadFeatures(opts);
  if (opts.continue_train && opts.load_pretrain) {
    throw new OptionsError(
      "train",
      "load_pretrain",
      `cannot be combined with --continue_train (the run's own checkpoint is loaded): current value is ${
        JSON.stringify(opts.load_pretrain)
      }`,
    );
  }
  return opts;
}

/** The combinations `--load_features` needs: the official loader's `{phase}_feat` RGB pictures. */
function checkLoadFeatures(opts: TrainOptions): void {
  const fail = (why: string) => {
    throw new OptionsError("train", "load_features", `${why}: current value is true`);
  };
  if (!usesFeatures(opts)) {
    fail("needs --instance_feat or --label_feat (the loaded features are part of their generator input)");
  }
  if (opts.no_instance) {
    fail("needs instance maps (the official loader reads {phase}_feat with them); drop --no_instance");
  }
  if (opts.feat_num !== 3) {
    fail(`needs --feat_num 3 (the feature maps are RGB pictures), not ${opts.feat_num}`);
  }
}

/** Whether G's input holds instance-wise features (`--instance_feat` or `--label_feat`). */
export function usesFeatures(opts: TrainOptions): boolean {
  return opts.instance_feat || opts.label_feat;
}

/**
 * Whether the run trains the feature encoder jointly with G: with features, unless they are read
 * from `{phase}_feat` (`--load_features`; the official `gen_features`).
 */
export function trainsEncoder(opts: TrainOptions): boolean {
  return usesFeatures(opts) && !opts.load_features;
}

/** The number of channels of the generator's input. */
export function generatorInputChannels(opts: TrainOptions): number {
  const labels = opts.label_nc === 0 ? opts.input_nc : opts.label_nc;
  return labels + (opts.no_instance ? 0 : 1) + (usesFeatures(opts) ? opts.feat_num : 0);
}

/** The number of channels of the discriminator's input: the label input (with boundary) plus the image. */
export function discriminatorInputChannels(opts: TrainOptions): number {
  const labels = opts.label_nc === 0 ? opts.input_nc : opts.label_nc;
  return labels + (opts.no_instance ? 0 : 1) + opts.output_nc;
}
