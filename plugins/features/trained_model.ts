/**
 * A trained model for inference: the generator and (with instance features) the encoder of a
 * checkpoint folder, ours (`<which>_net_G.safetensors`, whose metadata holds the training config) or
 * the official code's (`<which>_net_G.pth`). Architectures are read from the weights' names and shapes.
 *
 * The data flags come from the training config when the checkpoint has one. An official checkpoint has
 * none: then feat_num is the encoder's output channels (0 without `_net_E`), a boundary channel is
 * assumed (as every official recipe uses instance maps), and label_nc is what remains of the input.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import type { Encoder } from "../networks/encoder.ts";
import type { GlobalGenerator } from "../networks/global_generator.ts";
import type { LocalEnhancer } from "../networks/local_enhancer.ts";
import { checkGeneratorInput } from "../networks/infer.ts";
import { openEncoder, openGenerator } from "../inference/generator_file.ts";
import { findNetwork } from "../checkpoints/files.ts";

/** A checkpoint's networks, ready for inference. */
export interface TrainedModel {
  /** The generator. */
  G: GlobalGenerator | LocalEnhancer;
  /** The feature encoder (null for a model without instance features). */
  E: Encoder | null;
  /** Label classes. */
  label_nc: number;
  /** Feature channels of the generator's input (0: none). */
  feat_num: number;
  /** Whether the generator takes no boundary channel. */
  no_instance: boolean;
  /** Image sides must be multiples of this (2^n_downsample_global · 2^n_local_enhancers). */
  multiple: number;
  /** The training config (empty for an official checkpoint). */
  config: Record<string, unknown>;
  /**
   * Runs the generator: `[1, H, W, input_nc]` → `[1, H, W, 3]`. Sides that are not multiples of
   * `multiple` are mirror-padded on the right and bottom for the generator, and its output cropped back.
   */
  synthesize(input: tf.Tensor4D): tf.Tensor4D;
  /** Frees the networks' weights. */
  dispose(): void;
}

/**
 * The input mirror-padded below and right so both sides are multiples of `multiple` (null: they are).
 *
 * @throws {RangeError} when a side is shorter than the padding it needs
 */
function padToMultiple(input: tf.Tensor4D, multiple: number): tf.Tensor4D | null {
  const [, h, w] = input.shape;
  const padH = (multiple - (h % multiple)) % multiple, padW = (multiple - (w % multiple)) % multiple;
  if (padH === 0 && padW === 0) return null;
  if (padH > h || padW > w) {
    throw new RangeError(
      `Cannot synthesize a ${w}×${h} image: its sides must be at least ${multiple} pixels`,
    );
  }
  return tf.mirrorPad(input, [[0, 0], [0, padH], [0, padW], [0, 0]], "symmetric");
}

/** The output of a padded input cropped back to the input's size. */
function cropTo(y: tf.Tensor4D, input: tf.Tensor4D): tf.Tensor4D {
  return tf.slice(y, [0, 0, 0, 0], [1, input.shape[1], input.shape[2], -1]);
}

function padded(input: tf.Tensor4D, multiple: number, run: (x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  const x = padToMultiple(input, multiple);
  if (!x) return run(input);
  try {
    return tf.tidy(() => cropTo(run(x), input));
  } finally {
    x.dispose();
  }
}

/**
 * Runs an asynchronous generator (the onnxruntime runtime) as `TrainedModel.synthesize` runs the
 * model's: sides that are not multiples of `multiple` are mirror-padded for it, and its output cropped back.
 *
 * @param input `[1, H, W, input_nc]` (not disposed)
 * @param multiple the generator's side multiple
 * @param run the generator (it must not dispose its input)
 * @returns the image `[1, H, W, 3]`; the caller disposes it
 * @throws {RangeError} when a side is shorter than the padding it needs
 */
export async function synthesizePadded(
  input: tf.Tensor4D,
  multiple: number,
  run: (x: tf.Tensor4D) => Promise<tf.Tensor4D>,
): Promise<tf.Tensor4D> {
  const x = padToMultiple(input, multiple);
  if (!x) return await run(input);
  try {
    const y = await run(x);
    try {
      return cropTo(y, input);
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

/**
 * Loads a checkpoint's generator and encoder.
 *
 * @param dir the checkpoint folder (e.g. `checkpoints/label2city_512p_feat` or `weights/<name>`)
 * @param which "latest" or an epoch
 * @returns the networks and the data flags they need
 * @throws {CheckpointError} when the generator is missing or unreadable, or the weights do not fit the
 *   training config
 */
export async function loadTrainedModel(dir: string, which = "latest"): Promise<TrainedModel> {
  const gFile = findNetwork(dir, which, "G");
  if (!gFile) throw new CheckpointError(dir, `has no ${which}_net_G.safetensors or ${which}_net_G.pth`);
  const eFile = findNetwork(dir, which, "E");
  const g = await openGenerator(gFile);
  const G = g.net;
  const e = eFile ? { file: eFile } : null;
  let E: Encoder | null = null;
  try {
    if (eFile) E = await openEncoder(eFile);
    const config = g.config;
    const usesFeatures = "instance_feat" in config
      ? Boolean(config.instance_feat || config.label_feat)
      : E !== null;
    const feat_num = usesFeatures ? Number(config.feat_num ?? E?.options.feat_num ?? 0) : 0;
    const no_instance = Boolean(config.no_instance ?? false);
    const label_nc = Number(config.label_nc ?? g.input_nc - feat_num - (no_instance ? 0 : 1));
    checkGeneratorInput(g.input_nc, { label_nc, no_instance, feature_channels: feat_num }, g.file);
    if (feat_num > 0 && (!E || E.options.feat_num !== feat_num)) {
      throw new CheckpointError(
        e?.file ?? dir,
        E
          ? `encoder gives ${E.options.feat_num} features but the generator takes ${feat_num}`
          : `has no ${which}_net_E (the encoder this instance_feat model needs)`,
      );
    }
    const levels = Math.log2(g.multiple);
    return {
      G,
      E,
      label_nc,
      feat_num,
      no_instance,
      multiple: 2 ** levels,
      config,
      synthesize: (input) => padded(input, 2 ** levels, (x) => G.apply(x)),
      dispose() {
        G.dispose();
        E?.dispose();
      },
    };
  } catch (error) {
    G.dispose();
    E?.dispose();
    throw error;
  }
}
