/**
 * The official feature `Encoder` (E, for `instance_feat`): ReflectPad3 → Conv7×7 → Norm → ReLU;
 * n_downsample_E × [Conv3×3 s2 → Norm → ReLU]; n_downsample_E × [ConvTranspose3×3 s2 → Norm → ReLU];
 * ReflectPad3 → Conv7×7 → Tanh (feat_num channels), then instance-wise average pooling. It has the
 * global generator's layer list with no residual blocks, hence the same `model.N.*` names.
 *
 * @module
 */
import type { tf } from "../../backends/tf.ts";
import { defineSchema, type OptionsOf, resolveOptions } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import { Module } from "./_module.ts";
import { checkInput } from "./_layers/check.ts";
import { instanceMeans } from "./_layers/instance_pool.ts";
import { type Layer, sequential } from "./_layers/layer.ts";
import { NORMS } from "./_layers/norm.ts";
import { globalLayers, type GlobalLayersConfig } from "./global_generator.ts";

/** Options of the encoder, with the official names and defaults. */
export const encoderSchema = defineSchema({
  input_nc: { type: "int", default: 3, min: 1, doc: "image channels" },
  feat_num: { type: "int", default: 3, min: 1, doc: "encoded feature channels" },
  nef: { type: "int", default: 16, min: 1, doc: "filters of the encoder's first conv layer" },
  n_downsample_E: { type: "int", default: 4, min: 0, max: 10, doc: "downsampling layers in the encoder" },
  norm: { type: "enum", default: "instance", choices: NORMS, doc: "instance or batch normalisation" },
  seed: { type: "int", default: 0, min: 0, doc: "seed of the weight initialisation" },
});
/** Resolved encoder options. */
export type EncoderOptions = OptionsOf<typeof encoderSchema>;

/**
 * The encoder's layers as a global generator's without res-blocks (the official `Encoder`).
 *
 * @param o the encoder's options
 * @returns the global-generator layout that builds it
 */
export function encoderLayout(
  o: Pick<EncoderOptions, "input_nc" | "feat_num" | "nef" | "n_downsample_E" | "norm">,
): GlobalLayersConfig {
  return {
    input_nc: o.input_nc,
    output_nc: o.feat_num,
    ngf: o.nef,
    n_downsample_global: o.n_downsample_E,
    n_blocks_global: 0,
    norm: o.norm,
    padding_type: "reflect",
  };
}

/** The feature encoder. */
export class Encoder extends Module {
  /** The resolved options it was built with. */
  readonly options: EncoderOptions;
  readonly #net: Layer;

  /**
   * @param options architecture and seed; missing keys take the official defaults
   * @throws {OptionsError} on an unknown option or a bad value
   */
  constructor(options: Partial<EncoderOptions> = {}) {
    const o = resolveOptions("encoder", encoderSchema, options);
    super(o.seed);
    this.options = o;
    this.#net = sequential(this, "model", globalLayers(encoderLayout(o), true));
  }

  /**
   * E's raw output, before instance-wise pooling.
   *
   * @param x NHWC images [batch, h, w, input_nc] in [-1, 1], sides multiples of 2^n_downsample_E
   * @returns NHWC features [batch, h, w, feat_num] in [-1, 1]
   * @throws {RangeError} on a wrong channel count or side
   */
  features(x: tf.Tensor4D): tf.Tensor4D {
    checkInput("encoder", x, this.options.input_nc, "input_nc", 2 ** this.options.n_downsample_E);
    return this.#net.apply(x);
  }

  /**
   * Encodes images and averages the features over every instance (the official `Encoder.forward`).
   *
   * @param x NHWC images [batch, h, w, input_nc] in [-1, 1]
   * @param inst NHWC instance ids [batch, h, w, 1]
   * @returns NHWC features [batch, h, w, feat_num], constant over each instance
   * @throws {RangeError} on a wrong channel count or side, or an instance map of another size
   */
  apply(x: tf.Tensor4D, inst: tf.Tensor4D): tf.Tensor4D {
    const raw = this.features(x);
    try {
      return instanceMeans(raw, inst);
    } finally {
      raw.dispose();
    }
  }
}

/** The encoder as a plugin. */
export const encoderPlugin = definePlugin({
  name: "encoder",
  role: "encoder",
  description: "pix2pixHD feature Encoder (instance_feat): per-instance mean features of a real image",
  provides: ["encoder", "netE"],
  schema: encoderSchema,
  create: (options) => new Encoder(options),
});
