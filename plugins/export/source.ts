/**
 * What an export starts from: a checkpoint file (ours `.safetensors` or an official `.pth`), which
 * network it holds and that network's architecture. The network is told by our metadata's "network",
 * else by the file name (`<which>_net_<net>.*`, see `networkOfPath`), else by the tensor names.
 *
 * @module
 */
import { CheckpointError } from "../../kernel/errors.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { parseConfig, readStateDict } from "../inference/generator_file.ts";
import type { EncoderOptions } from "../networks/encoder.ts";
import {
  inferDiscriminator,
  inferEncoder,
  inferGenerator,
  type InferredGenerator,
} from "../networks/infer.ts";
import type { MultiscaleDiscriminatorOptions } from "../networks/multiscale_discriminator.ts";
import { networkOfPath } from "../checkpoints/files.ts";

/** A network's architecture, by kind. */
export type ExportArchitecture =
  | { net: "G"; generator: InferredGenerator }
  | { net: "E"; encoder: Omit<EncoderOptions, "seed"> }
  | { net: "D"; discriminator: Omit<MultiscaleDiscriminatorOptions, "seed"> };

/** An opened checkpoint. */
export interface ExportSource {
  /** The file. */
  file: string;
  /** Its state_dict, PyTorch layout, official names. */
  tensors: Map<string, NdArray>;
  /** The training config its metadata carries ({} for official files). */
  config: Record<string, unknown>;
  /** Which network and its architecture. */
  architecture: ExportArchitecture;
}

/** The network a state_dict's names say it is: "D" for discriminators, "G" with residual blocks, else "E". */
function networkOfTensors(names: ReadonlySet<string>): string {
  if (names.has("layer0.0.weight") || names.has("scale0_layer0.0.weight")) return "D";
  if (names.has("model1_1.1.weight") || [...names].some((n) => n.includes(".conv_block."))) return "G";
  return "E";
}

/**
 * Opens a checkpoint for export.
 *
 * @param file `*_net_G|E|D.safetensors` (ours) or `.pth` (official)
 * @returns its tensors, config and architecture
 * @throws {CheckpointError} when the file is missing, unreadable, a training state, or not a pix2pixHD network
 */
export async function openExportSource(file: string): Promise<ExportSource> {
  const { tensors, metadata } = await readStateDict(file);
  if (metadata.trainer !== undefined) {
    throw new CheckpointError(
      file,
      `is a training state (optimizer moments, image pool), not a network; export ${
        metadata.which ?? "<which>"
      }_net_G or _net_E beside it`,
    );
  }
  const config = parseConfig(metadata, file);
  const net = metadata.network ?? networkOfPath(file) ?? networkOfTensors(new Set(tensors.keys()));
  let architecture: ExportArchitecture;
  if (net === "D") architecture = { net, discriminator: inferDiscriminator(tensors, file) };
  else if (net === "E") architecture = { net, encoder: inferEncoder(tensors, file) };
  else architecture = { net: "G", generator: inferGenerator(tensors, file) };
  return { file, tensors, config, architecture };
}

/**
 * The architecture in the training config's option names (`netG`, `ngf`, `nef`, `n_layers_D` …),
 * for the metadata of exported files.
 *
 * @param a the architecture
 * @returns the options
 */
export function architectureConfig(a: ExportArchitecture): Record<string, unknown> {
  if (a.net === "E") {
    const { input_nc: _image, ...rest } = a.encoder;
    return rest;
  }
  if (a.net === "D") {
    const { input_nc: _both, ...rest } = a.discriminator;
    return rest;
  }
  // input_nc is the generator's own input channels, not the training option of that name (image channels)
  const { input_nc: _channels, ...rest } = a.generator.options;
  return { netG: a.generator.netG, ...rest };
}

/**
 * One line describing the network, e.g. "local generator (2 enhancers), ngf 4, 39 input channels".
 *
 * @param a the architecture
 * @returns the description
 */
export function describeArchitecture(a: ExportArchitecture): string {
  if (a.net === "E") {
    const e = a.encoder;
    return `encoder, nef ${e.nef}, ${e.n_downsample_E} downsamplings, ${e.feat_num} features, ${e.norm} norm`;
  }
  if (a.net === "D") {
    const d = a.discriminator;
    return `multiscale discriminator, ${d.num_D} scales × ${d.n_layers_D} layers, ndf ${d.ndf}`;
  }
  const g = a.generator;
  const o = g.options;
  const enhancers = g.netG === "local" ? ` (${g.options.n_local_enhancers} enhancers)` : "";
  return `${g.netG} generator${enhancers}, ngf ${o.ngf}, ${o.n_downsample_global} downsamplings, ` +
    `${o.n_blocks_global} blocks, ${o.norm} norm, ${o.input_nc} input channels`;
}
