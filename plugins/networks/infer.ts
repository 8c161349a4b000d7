/**
 * Architecture inference: the options of a network read back from a state_dict's names and shapes,
 * so a checkpoint loads without the user repeating the flags it was trained with. Also the check that
 * a generator's input channels match the data flags, with an error that names the flag that is off.
 *
 * @module
 */
import { CheckpointError } from "../../kernel/errors.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import type { EncoderOptions } from "./encoder.ts";
import type { GlobalGeneratorOptions } from "./global_generator.ts";
import type { LocalEnhancerOptions } from "./local_enhancer.ts";
import type { MultiscaleDiscriminatorOptions } from "./multiscale_discriminator.ts";

/** A generator's architecture: which network, and its options (seed excluded). */
export type InferredGenerator =
  | { netG: "global"; options: Omit<GlobalGeneratorOptions, "seed"> }
  | { netG: "local"; options: Omit<LocalEnhancerOptions, "seed"> };

type StateDict = ReadonlyMap<string, NdArray>;

function shapeOf(sd: StateDict, name: string, rank: number, file: string): number[] {
  const array = sd.get(name);
  if (!array) throw new CheckpointError(file, `expected tensor ${name} is missing`);
  if (array.shape.length !== rank) {
    throw new CheckpointError(file, `${name} has shape [${array.shape.join(", ")}], expected rank ${rank}`);
  }
  return array.shape;
}

/** What a `Sequential` of the global-generator layer list holds, read from `${prefix}.N.*`. */
interface GlobalLayout {
  input_nc: number;
  ngf: number;
  n_downsample: number;
  n_blocks: number;
  norm: "instance" | "batch";
  padding_type: "reflect" | "zero";
  /** Channels of the final conv (when the list ends with the output layers). */
  output_nc: number;
}

function readGlobalLayout(sd: StateDict, prefix: string, withOutput: boolean, file: string): GlobalLayout {
  const [ngf, inputNc] = shapeOf(sd, `${prefix}.1.weight`, 4, file);
  const pattern = new RegExp(`^${prefix}\\.(\\d+)\\.weight$`);
  const convs = [...sd.keys()].flatMap((name) => {
    const match = pattern.exec(name);
    return match && sd.get(name)!.shape.length === 4 ? [Number(match[1])] : [];
  }).sort((a, b) => a - b);
  // first conv, n downsampling convs, n transposed convs, and the output conv when present
  const downs = (convs.length - (withOutput ? 2 : 1)) / 2;
  if (!Number.isInteger(downs) || downs < 0) {
    throw new CheckpointError(
      file,
      `is not a pix2pixHD generator/encoder: ${convs.length} convolutions in ${prefix}.*`,
    );
  }
  const blocks = new Set<number>();
  let paddingType: "reflect" | "zero" = "reflect";
  for (const name of sd.keys()) {
    const match = new RegExp(`^${prefix}\\.(\\d+)\\.conv_block\\.(\\d+)\\.weight$`).exec(name);
    if (!match) continue;
    blocks.add(Number(match[1]));
    if (match[2] === "0") paddingType = "zero";
  }
  const last = convs[convs.length - 1];
  return {
    input_nc: inputNc,
    ngf,
    n_downsample: downs,
    n_blocks: blocks.size,
    norm: sd.has(`${prefix}.2.weight`) ? "batch" : "instance",
    padding_type: paddingType,
    output_nc: withOutput ? shapeOf(sd, `${prefix}.${last}.weight`, 4, file)[0] : 0,
  };
}

/**
 * The generator architecture of a checkpoint (global generator or local enhancer). Replicate padding
 * cannot be told from reflect padding by the weights; "reflect" is reported.
 *
 * @param sd the generator's state_dict
 * @param file the checkpoint, named in errors
 * @returns netG and its options
 * @throws {CheckpointError} when the names do not form a pix2pixHD generator
 */
export function inferGenerator(sd: StateDict, file: string): InferredGenerator {
  if (!sd.has("model.1.weight")) {
    throw new CheckpointError(
      file,
      "is not a pix2pixHD generator: it has no model.1.weight (global branch's first conv)",
    );
  }
  let enhancers = 0;
  while (sd.has(`model${enhancers + 1}_1.1.weight`)) enhancers++;
  const g = readGlobalLayout(sd, "model", enhancers === 0, file);
  if (enhancers === 0) {
    return {
      netG: "global",
      options: {
        input_nc: g.input_nc,
        output_nc: g.output_nc,
        ngf: g.ngf,
        n_downsample_global: g.n_downsample,
        n_blocks_global: g.n_blocks,
        norm: g.norm,
        padding_type: g.padding_type,
      },
    };
  }
  const [ngf] = shapeOf(sd, `model${enhancers}_1.1.weight`, 4, file);
  if (g.ngf !== ngf * 2 ** enhancers) {
    throw new CheckpointError(
      file,
      `is not a consistent local enhancer: model.1 has ${g.ngf} filters, expected ngf·2^n_local_enhancers = ${
        ngf * 2 ** enhancers
      }`,
    );
  }
  let blocksLocal = 0;
  let paddingType: "reflect" | "zero" = "reflect";
  while (
    sd.has(`model1_2.${blocksLocal}.conv_block.1.weight`) ||
    sd.has(`model1_2.${blocksLocal}.conv_block.0.weight`)
  ) {
    if (sd.has(`model1_2.${blocksLocal}.conv_block.0.weight`)) paddingType = "zero";
    blocksLocal++;
  }
  const [outputNc] = shapeOf(sd, `model${enhancers}_2.${blocksLocal + 4}.weight`, 4, file);
  return {
    netG: "local",
    options: {
      input_nc: g.input_nc,
      output_nc: outputNc,
      ngf,
      n_downsample_global: g.n_downsample,
      n_blocks_global: g.n_blocks,
      norm: g.norm,
      padding_type: paddingType,
      n_local_enhancers: enhancers,
      n_blocks_local: blocksLocal,
    },
  };
}

/**
 * The multiscale discriminator architecture of a checkpoint (use_sigmoid has no weights: false).
 *
 * @param sd the discriminator's state_dict
 * @param file the checkpoint, named in errors
 * @returns its options
 * @throws {CheckpointError} when the names do not form a pix2pixHD multiscale discriminator
 */
export function inferDiscriminator(
  sd: StateDict,
  file: string,
): Omit<MultiscaleDiscriminatorOptions, "seed"> {
  const intermediate = sd.has("scale0_layer0.0.weight");
  if (!intermediate && !sd.has("layer0.0.weight")) {
    throw new CheckpointError(
      file,
      "is not a pix2pixHD discriminator: it has neither scale0_layer0.0.weight nor layer0.0.weight",
    );
  }
  let numD = 0;
  while (sd.has(intermediate ? `scale${numD}_layer0.0.weight` : `layer${numD}.0.weight`)) numD++;
  const [ndf, inputNc] = shapeOf(sd, intermediate ? "scale0_layer0.0.weight" : "layer0.0.weight", 4, file);
  let nLayers: number, norm: "instance" | "batch";
  if (intermediate) {
    let groups = 0;
    while (sd.has(`scale0_layer${groups}.0.weight`)) groups++;
    nLayers = groups - 2;
    norm = sd.has("scale0_layer1.1.weight") ? "batch" : "instance";
  } else {
    norm = sd.has("layer0.3.weight") ? "batch" : "instance";
    // flat Sequential: every 4-D weight is a conv (norms, when batch, have 1-D weights)
    const convs = [...sd.keys()].filter((name) =>
      /^layer0\.\d+\.weight$/.test(name) && sd.get(name)!.shape.length === 4
    )
      .length;
    nLayers = convs - 2;
  }
  if (nLayers < 1) {
    throw new CheckpointError(file, `is not a pix2pixHD discriminator: ${nLayers + 2} conv layers per scale`);
  }
  return {
    input_nc: inputNc,
    ndf,
    n_layers_D: nLayers,
    num_D: numD,
    norm,
    getIntermFeat: intermediate,
    use_sigmoid: false,
  };
}

/**
 * The feature encoder architecture of a checkpoint.
 *
 * @param sd the encoder's state_dict
 * @param file the checkpoint, named in errors
 * @returns its options
 * @throws {CheckpointError} when the names do not form a pix2pixHD encoder (e.g. it has residual blocks)
 */
export function inferEncoder(sd: StateDict, file: string): Omit<EncoderOptions, "seed"> {
  if (!sd.has("model.1.weight")) {
    throw new CheckpointError(file, "is not a pix2pixHD encoder: it has no model.1.weight");
  }
  const e = readGlobalLayout(sd, "model", true, file);
  if (e.n_blocks > 0) {
    throw new CheckpointError(file, "is not a pix2pixHD encoder: it has residual blocks (a generator?)");
  }
  return {
    input_nc: e.input_nc,
    feat_num: e.output_nc,
    nef: e.ngf,
    n_downsample_E: e.n_downsample,
    norm: e.norm,
  };
}

/** The data flags that decide a generator's input channels (official names). */
export interface InputFlags {
  /** Label classes (0: the input is an RGB image). */
  label_nc: number;
  /** No instance maps, hence no boundary channel. */
  no_instance: boolean;
  /** Channels of instance-wise features appended to the input (feat_num with instance_feat/label_feat), else 0. */
  feature_channels: number;
}

/**
 * Why a generator with `expected` input channels does not fit the data flags, or null when it does.
 *
 * @param expected the generator's input_nc (from its checkpoint)
 * @param flags the data flags in use
 * @returns a one-line explanation naming the flag that is off, or null
 */
export function inputMismatch(expected: number, flags: InputFlags): string | null {
  const labels = flags.label_nc === 0 ? 3 : flags.label_nc;
  const what = flags.label_nc === 0 ? "3 image channels" : `${labels} labels`;
  const boundary = flags.no_instance ? 0 : 1;
  const given = labels + boundary + flags.feature_channels;
  if (given === expected) return null;
  const head = `the generator takes ${expected} input channels but the data gives ${given}`;
  const parts = (b: number, f: number) => `${what}${b ? " + 1 boundary" : ""}${f ? ` + ${f} features` : ""}`;
  if (flags.no_instance && expected === given + 1) {
    return `${head}: this generator was trained with instance maps (${expected} input channels = ${
      parts(1, flags.feature_channels)
    }); ` +
      `pass instance maps and drop --no_instance`;
  }
  if (!flags.no_instance && expected === given - 1) {
    return `${head}: this generator was trained without instance maps (${expected} input channels = ${
      parts(0, flags.feature_channels)
    }); ` +
      `pass --no_instance`;
  }
  if (flags.feature_channels === 0 && expected > given && (expected - given) <= 16) {
    return `${head}: this generator was trained with ${expected - given} instance-wise feature channels ` +
      `(${expected} = ${parts(boundary, expected - given)}); pass --instance_feat (with --feat_num ${
        expected - given
      })`;
  }
  if (flags.feature_channels > 0 && expected === given - flags.feature_channels) {
    return `${head}: this generator was trained without instance-wise features (${expected} = ${
      parts(boundary, 0)
    }); ` +
      `drop --instance_feat / --label_feat`;
  }
  const labelNc = expected - boundary - flags.feature_channels;
  return `${head}: with ${flags.no_instance ? "--no_instance" : "a boundary channel"}` +
    `${
      flags.feature_channels ? ` and ${flags.feature_channels} feature channels` : ""
    } it expects --label_nc ${labelNc}, ` +
    `not ${flags.label_nc}`;
}

/**
 * Checks that a generator checkpoint fits the data flags.
 *
 * @param expected the generator's input_nc
 * @param flags the data flags in use
 * @param file the generator checkpoint, named in the error
 * @throws {CheckpointError} with the explanation of {@link inputMismatch}
 */
export function checkGeneratorInput(expected: number, flags: InputFlags, file: string): void {
  const problem = inputMismatch(expected, flags);
  if (problem) throw new CheckpointError(file, problem);
}
