/**
 * The official `GlobalGenerator` (pix2pixHD's `netG=global`, the 512p model): ReflectPad3 →
 * Conv7×7 → Norm → ReLU; n_downsample_global × [Conv3×3 s2 → Norm → ReLU]; n_blocks_global ×
 * ResnetBlock; n_downsample_global × [ConvTranspose3×3 s2 → Norm → ReLU]; ReflectPad3 → Conv7×7 → Tanh.
 * Parameters are named `model.N.*` exactly as the official state_dict.
 *
 * @module
 */
import type { tf } from "../../backends/tf.ts";
import { defineSchema, type OptionsOf, resolveOptions } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import { Module } from "./_module.ts";
import { checkInput } from "./_layers/check.ts";
import { conv2d, convTranspose2d } from "./_layers/conv.ts";
import { type Layer, type LayerSpec, relu, sequential, tanh } from "./_layers/layer.ts";
import { norm, NORMS, type NormType } from "./_layers/norm.ts";
import { pad, PADDING_TYPES, type PaddingType } from "./_layers/pad.ts";
import { resnetBlock } from "./resnet_block.ts";

/** Options of the global generator, with the official names and defaults. */
export const globalGeneratorSchema = defineSchema({
  input_nc: {
    type: "int",
    default: 36,
    min: 1,
    doc:
      "input channels: label_nc (35 for Cityscapes) + 1 boundary unless no_instance + feat_num with instance_feat",
  },
  output_nc: { type: "int", default: 3, min: 1, doc: "output image channels" },
  ngf: { type: "int", default: 64, min: 1, doc: "generator filters in the first conv layer" },
  n_downsample_global: {
    type: "int",
    default: 4,
    min: 0,
    max: 10,
    doc: "downsampling layers in the global generator",
  },
  n_blocks_global: { type: "int", default: 9, min: 0, doc: "residual blocks in the global generator" },
  norm: { type: "enum", default: "instance", choices: NORMS, doc: "instance or batch normalisation" },
  padding_type: {
    type: "enum",
    default: "reflect",
    choices: PADDING_TYPES,
    doc: "padding inside the residual blocks",
  },
  seed: { type: "int", default: 0, min: 0, doc: "seed of the weight initialisation" },
});
/** Resolved global-generator options. */
export type GlobalGeneratorOptions = OptionsOf<typeof globalGeneratorSchema>;

/** What the global layer list needs. */
export interface GlobalLayersConfig {
  input_nc: number;
  output_nc: number;
  ngf: number;
  n_downsample_global: number;
  n_blocks_global: number;
  norm: NormType;
  padding_type: PaddingType;
}

/**
 * The official `GlobalGenerator.model` layer list (also the `Encoder`'s, with no residual blocks, and
 * the local enhancer's global part, without the last three layers).
 *
 * @param o the architecture
 * @param withOutputLayers false drops the final ReflectPad3, Conv7×7 and Tanh, as `LocalEnhancer` does
 * @returns the layer specs, in official index order
 */
export function globalLayers(o: GlobalLayersConfig, withOutputLayers: boolean): LayerSpec[] {
  const { ngf, norm: n } = o;
  const specs: LayerSpec[] = [pad("reflect", 3), conv2d(o.input_nc, ngf, 7), norm(n, ngf), relu()];
  for (let i = 0; i < o.n_downsample_global; i++) {
    const c = ngf * 2 ** i;
    specs.push(conv2d(c, 2 * c, 3, { stride: 2, padding: 1 }), norm(n, 2 * c), relu());
  }
  const deepest = ngf * 2 ** o.n_downsample_global;
  for (let i = 0; i < o.n_blocks_global; i++) specs.push(resnetBlock(deepest, o.padding_type, n));
  for (let i = 0; i < o.n_downsample_global; i++) {
    const c = ngf * 2 ** (o.n_downsample_global - i);
    specs.push(
      convTranspose2d(c, c / 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
      norm(n, c / 2),
      relu(),
    );
  }
  if (withOutputLayers) specs.push(pad("reflect", 3), conv2d(ngf, o.output_nc, 7), tanh());
  return specs;
}

/** The global generator. Build with options (defaults: the official 512p model), or load a checkpoint. */
export class GlobalGenerator extends Module {
  /** The resolved options it was built with. */
  readonly options: GlobalGeneratorOptions;
  readonly #net: Layer;

  /**
   * @param options architecture and seed; missing keys take the official defaults
   * @throws {OptionsError} on an unknown option or a bad value
   */
  constructor(options: Partial<GlobalGeneratorOptions> = {}) {
    const o = resolveOptions("global-generator", globalGeneratorSchema, options);
    super(o.seed);
    this.options = o;
    this.#net = sequential(this, "model", globalLayers(o, true));
  }

  /**
   * Generates images.
   *
   * @param x NHWC input [batch, h, w, input_nc], sides multiples of 2^n_downsample_global
   * @returns NHWC images in [-1, 1], [batch, h, w, output_nc]
   * @throws {RangeError} on a wrong channel count or side
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    checkInput(
      "global-generator",
      x,
      this.options.input_nc,
      "input_nc",
      2 ** this.options.n_downsample_global,
    );
    return this.#net.apply(x);
  }
}

/** The global generator as a plugin. */
export const globalGeneratorPlugin = definePlugin({
  name: "global-generator",
  role: "generator",
  description: "pix2pixHD GlobalGenerator (netG=global, the 512p model)",
  provides: ["generator", "netG:global"],
  schema: globalGeneratorSchema,
  create: (options) => new GlobalGenerator(options),
});
