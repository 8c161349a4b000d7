/**
 * The official `MultiscaleDiscriminator`: num_D `NLayerDiscriminator`s (kernel 4, padding 2,
 * LeakyReLU 0.2), D_i seeing the input downsampled i times (AvgPool 3×3 s2 p1, count_include_pad=False).
 * Result i comes from the weights named `scale{num_D-1-i}_*` (the full-resolution input uses the
 * last scale's weights), exactly as the official forward orders them. With getIntermFeat every layer
 * group's output is returned (n_layers_D + 2 per scale); without it, only the prediction, and the
 * weights are named `layer{i}.{k}` as the official flat Sequential.
 *
 * @module
 */
import type { tf } from "../../backends/tf.ts";
import { defineSchema, type OptionsOf, resolveOptions } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import { Module } from "./_module.ts";
import { checkInput } from "./_layers/check.ts";
import { conv2d } from "./_layers/conv.ts";
import { type Layer, type LayerSpec, leakyRelu, sequential, sigmoid } from "./_layers/layer.ts";
import { norm, NORMS, type NormType } from "./_layers/norm.ts";
import { downsample } from "./_layers/pool.ts";

/** Options of the multiscale discriminator, with the official names and defaults. */
export const multiscaleDiscriminatorSchema = defineSchema({
  input_nc: {
    type: "int",
    default: 39,
    min: 1,
    doc: "input channels: the generator's input channels + output_nc (36 + 3 for Cityscapes)",
  },
  ndf: { type: "int", default: 64, min: 1, doc: "discriminator filters in the first conv layer" },
  n_layers_D: { type: "int", default: 3, min: 1, doc: "strided conv layers per discriminator" },
  num_D: { type: "int", default: 2, min: 1, max: 8, doc: "number of discriminators (scales)" },
  norm: { type: "enum", default: "instance", choices: NORMS, doc: "instance or batch normalisation" },
  getIntermFeat: {
    type: "boolean",
    default: true,
    doc: "return every layer's features (needed by the feature matching loss)",
  },
  use_sigmoid: {
    type: "boolean",
    default: false,
    doc: "end with a sigmoid (no_lsgan); unlike the official code it is applied with getIntermFeat too",
  },
  seed: { type: "int", default: 0, min: 0, doc: "seed of the weight initialisation" },
});
/** Resolved multiscale-discriminator options. */
export type MultiscaleDiscriminatorOptions = OptionsOf<typeof multiscaleDiscriminatorSchema>;

/** The layer groups of one official `NLayerDiscriminator` (`model0` … `model{n_layers+1}`). */
function nLayerGroups(
  inputNc: number,
  ndf: number,
  nLayers: number,
  n: NormType,
  useSigmoid: boolean,
): LayerSpec[][] {
  const k = 4, padding = Math.ceil((k - 1) / 2);
  const groups: LayerSpec[][] = [[conv2d(inputNc, ndf, k, { stride: 2, padding }), leakyRelu(0.2)]];
  let nf = ndf;
  for (let i = 1; i < nLayers; i++) {
    const prev = nf;
    nf = Math.min(nf * 2, 512);
    groups.push([conv2d(prev, nf, k, { stride: 2, padding }), norm(n, nf), leakyRelu(0.2)]);
  }
  const prev = nf;
  nf = Math.min(nf * 2, 512);
  groups.push([conv2d(prev, nf, k, { stride: 1, padding }), norm(n, nf), leakyRelu(0.2)]);
  groups.push([conv2d(nf, 1, k, { stride: 1, padding }), ...(useSigmoid ? [sigmoid()] : [])]);
  return groups;
}

/** The multiscale discriminator. */
export class MultiscaleDiscriminator extends Module {
  /** The resolved options it was built with. */
  readonly options: MultiscaleDiscriminatorOptions;
  /** Per official scale index: its layer groups (one group when getIntermFeat is off). */
  readonly #scales: Layer[][] = [];

  /**
   * @param options architecture and seed; missing keys take the official defaults
   * @throws {OptionsError} on an unknown option or a bad value
   */
  constructor(options: Partial<MultiscaleDiscriminatorOptions> = {}) {
    const o = resolveOptions("multiscale-discriminator", multiscaleDiscriminatorSchema, options);
    super(o.seed);
    this.options = o;
    for (let i = 0; i < o.num_D; i++) {
      const groups = nLayerGroups(o.input_nc, o.ndf, o.n_layers_D, o.norm, o.use_sigmoid);
      this.#scales.push(
        o.getIntermFeat
          ? groups.map((g, j) => sequential(this, `scale${i}_layer${j}`, g))
          : [sequential(this, `layer${i}`, groups.flat())],
      );
    }
  }

  /**
   * Scores an input at every scale.
   *
   * @param x NHWC batch [batch, h, w, input_nc] (label channels then image channels)
   * @returns per scale (full resolution first), every group's output (n_layers_D + 2, the last being
   *   the patch scores) with getIntermFeat, else just the scores; the caller disposes them
   * @throws {RangeError} on a wrong channel count
   */
  apply(x: tf.Tensor4D): tf.Tensor4D[][] {
    const o = this.options;
    checkInput("multiscale-discriminator", x, o.input_nc, "input_nc", 1);
    const result: tf.Tensor4D[][] = [];
    let input = x;
    for (let i = 0; i < o.num_D; i++) {
      const outputs: tf.Tensor4D[] = [];
      let y = input;
      for (const group of this.#scales[o.num_D - 1 - i]) {
        y = group.apply(y);
        outputs.push(y);
      }
      result.push(outputs);
      if (i !== o.num_D - 1) {
        const next = downsample(input);
        if (input !== x) input.dispose();
        input = next;
      }
    }
    if (input !== x) input.dispose();
    return result;
  }
}

/** The multiscale discriminator as a plugin. */
export const multiscaleDiscriminatorPlugin = definePlugin({
  name: "multiscale-discriminator",
  role: "discriminator",
  description: "pix2pixHD MultiscaleDiscriminator (num_D PatchGAN discriminators at halving resolutions)",
  provides: ["discriminator", "netD:multiscale"],
  schema: multiscaleDiscriminatorSchema,
  create: (options) => new MultiscaleDiscriminator(options),
});
