/**
 * Opening a generator from a file: the official `latest_net_G.pth` (architecture inferred from the
 * tensor names and shapes, so no flags are needed that the file implies) or one of our
 * `*_net_G.safetensors` checkpoints (whose metadata also carries the data flags it was trained with).
 *
 * @module
 */
import { extname } from "node:path";
import { CheckpointError } from "../../kernel/errors.ts";
import { loadPth } from "../../formats/pth.ts";
import { loadSafetensors } from "../../formats/safetensors.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { GlobalGenerator } from "../networks/global_generator.ts";
import { LocalEnhancer } from "../networks/local_enhancer.ts";
import { inferEncoder, inferGenerator, type InferredGenerator } from "../networks/infer.ts";
import { Encoder } from "../networks/encoder.ts";
import type { Module } from "../networks/_module.ts";

/** The data flags a checkpoint was trained with, when it says so (ours do; official .pth files don't). */
export interface TrainedFlags {
  label_nc?: number;
  no_instance?: boolean;
  instance_feat?: boolean;
  label_feat?: boolean;
  feat_num?: number;
}

/** An opened generator. */
export interface OpenedGenerator {
  /** The network, weights loaded, in inference mode. */
  net: GlobalGenerator | LocalEnhancer;
  /** "global" or "local". */
  netG: "global" | "local";
  /** The architecture read from the weights. */
  arch: InferredGenerator;
  /** Its input channels. */
  input_nc: number;
  /** The multiple every input side must be (2^n_downsample_global · 2^n_local_enhancers). */
  multiple: number;
  /** Flags stored in the checkpoint's metadata (empty for official files). */
  trained: TrainedFlags;
  /** The full training config stored in the checkpoint's metadata (empty for official files). */
  config: Record<string, unknown>;
  /** The file it came from. */
  file: string;
}

/**
 * Reads a state dict and its metadata from a `.pth` or `.safetensors` file.
 *
 * @param file the path
 * @returns tensors (PyTorch layout) and metadata (empty for .pth)
 * @throws {CheckpointError} for another extension, a missing or unreadable file
 */
export async function readStateDict(
  file: string,
): Promise<{ tensors: Map<string, NdArray>; metadata: Record<string, string> }> {
  try {
    await Deno.stat(file);
  } catch {
    throw new CheckpointError(
      file,
      "does not exist (download the official checkpoint, or train one with `deno task train`)",
    );
  }
  const ext = extname(file).toLowerCase();
  if (ext === ".pth" || ext === ".pt") return { tensors: await loadPth(file), metadata: {} };
  if (ext === ".safetensors") return await loadSafetensors(file);
  throw new CheckpointError(
    file,
    `has extension "${ext}"; weights must be a PyTorch .pth or a .safetensors file`,
  );
}

/**
 * The training config a checkpoint's metadata carries (ours do; official files have none).
 *
 * @param metadata the file's metadata
 * @param file the checkpoint, named in errors
 * @returns the config, or {} when there is none
 * @throws {CheckpointError} when the metadata's "config" is not a JSON object
 */
export function parseConfig(metadata: Record<string, string>, file: string): Record<string, unknown> {
  if (!metadata.config) return {};
  try {
    const config = JSON.parse(metadata.config);
    if (config && typeof config === "object" && !Array.isArray(config)) return config;
  } catch {
    // reported below
  }
  throw new CheckpointError(file, `its metadata "config" is not a JSON object`);
}

function trainedFlags(c: Record<string, unknown>): TrainedFlags {
  const num = (k: string) => (typeof c[k] === "number" ? c[k] as number : undefined);
  const bool = (k: string) => (typeof c[k] === "boolean" ? c[k] as boolean : undefined);
  return {
    label_nc: num("label_nc"),
    no_instance: bool("no_instance"),
    instance_feat: bool("instance_feat"),
    label_feat: bool("label_feat"),
    feat_num: num("feat_num"),
  };
}

/**
 * Opens a generator checkpoint.
 *
 * @param file `latest_net_G.pth` (official) or `*_net_G.safetensors` (ours)
 * @returns the network with its weights and what the file says about its inputs
 * @throws {CheckpointError} when the file is not a pix2pixHD generator or does not load
 */
export async function openGenerator(file: string): Promise<OpenedGenerator> {
  const { tensors, metadata } = await readStateDict(file);
  const arch = inferGenerator(tensors, file);
  const config = parseConfig(metadata, file);
  const net = withWeights(
    arch.netG === "global" ? new GlobalGenerator(arch.options) : new LocalEnhancer(arch.options),
    tensors,
    file,
  );
  const o = arch.options;
  const multiple = 2 ** o.n_downsample_global *
    (arch.netG === "local" ? 2 ** arch.options.n_local_enhancers : 1);
  return {
    net,
    netG: arch.netG,
    arch,
    input_nc: o.input_nc,
    multiple,
    trained: trainedFlags(config),
    config,
    file,
  };
}

/**
 * Opens an encoder checkpoint (`latest_net_E.pth` or `*_net_E.safetensors`).
 *
 * @param file the path
 * @returns the encoder with its weights, in inference mode
 * @throws {CheckpointError} when the file is not a pix2pixHD encoder or does not load
 */
export async function openEncoder(file: string): Promise<Encoder> {
  const { tensors } = await readStateDict(file);
  return withWeights(new Encoder(inferEncoder(tensors, file)), tensors, file);
}

/** Loads the weights into a new network and puts it in inference mode; frees it if they don't fit. */
function withWeights<N extends Module>(net: N, tensors: Map<string, NdArray>, file: string): N {
  try {
    net.loadStateDict(tensors, file);
  } catch (error) {
    net.dispose();
    throw error;
  }
  net.training = false;
  return net;
}
