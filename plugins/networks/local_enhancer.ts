/**
 * The official `LocalEnhancer` (`netG=local`, the 1024p model) with any number of enhancers: a global
 * generator built with ngf·2^n_local_enhancers minus its last three layers (`model.*`), and per
 * enhancer n a front-end `model{n}_1` and a back-end `model{n}_2`; the last back-end ends with
 * ReflectPad3 → Conv7×7 → Tanh. The input pyramid uses AvgPool 3×3 s2 p1 (count_include_pad=False).
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { defineSchema, type OptionsOf, resolveOptions } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import { Module } from "./_module.ts";
import { checkInput } from "./_layers/check.ts";
import { conv2d, convTranspose2d } from "./_layers/conv.ts";
import { type Layer, type LayerSpec, relu, sequential, tanh } from "./_layers/layer.ts";
import { norm } from "./_layers/norm.ts";
import { pad } from "./_layers/pad.ts";
import { downsample } from "./_layers/pool.ts";
import { globalGeneratorSchema, globalLayers } from "./global_generator.ts";
import { resnetBlock } from "./resnet_block.ts";

/** Options of the local enhancer (defaults: the official 1024p model, ngf 32, one enhancer). */
export const localEnhancerSchema = defineSchema({
  ...globalGeneratorSchema,
  ngf: { type: "int", default: 32, min: 1, doc: "filters of the finest enhancer's first conv layer" },
  n_local_enhancers: { type: "int", default: 1, min: 1, max: 6, doc: "number of local enhancers" },
  n_blocks_local: { type: "int", default: 3, min: 0, doc: "residual blocks in each local enhancer" },
});
/** Resolved local-enhancer options. */
export type LocalEnhancerOptions = OptionsOf<typeof localEnhancerSchema>;

/** A forward pass with its intermediate results (for parity checks and inspection). */
export interface LocalEnhancerTrace {
  /** The input pyramid below the input: [downsampled once, twice, …], n_local_enhancers levels. */
  pyramid: tf.Tensor4D[];
  /** The global part's output on the coarsest level. */
  globalFeatures: tf.Tensor4D;
  /** The generated images. */
  output: tf.Tensor4D;
}

/** The local enhancer generator. */
export class LocalEnhancer extends Module {
  /** The resolved options it was built with. */
  readonly options: LocalEnhancerOptions;
  readonly #global: Layer;
  readonly #enhancers: Array<{ front: Layer; back: Layer }> = [];

  /**
   * @param options architecture and seed; missing keys take the official 1024p defaults
   * @throws {OptionsError} on an unknown option or a bad value
   */
  constructor(options: Partial<LocalEnhancerOptions> = {}) {
    const o = resolveOptions("local-enhancer", localEnhancerSchema, options);
    super(o.seed);
    this.options = o;
    const { ngf, n_local_enhancers: count, norm: n } = o;
    // the official code builds the global part with the default (reflect) padding type
    const globalConfig = { ...o, ngf: ngf * 2 ** count, padding_type: "reflect" as const };
    this.#global = sequential(this, "model", globalLayers(globalConfig, false));
    for (let e = 1; e <= count; e++) {
      const c = ngf * 2 ** (count - e);
      const front: LayerSpec[] = [
        pad("reflect", 3),
        conv2d(o.input_nc, c, 7),
        norm(n, c),
        relu(),
        conv2d(c, 2 * c, 3, { stride: 2, padding: 1 }),
        norm(n, 2 * c),
        relu(),
      ];
      const back: LayerSpec[] = [];
      for (let i = 0; i < o.n_blocks_local; i++) back.push(resnetBlock(2 * c, o.padding_type, n));
      back.push(
        convTranspose2d(2 * c, c, 3, { stride: 2, padding: 1, outputPadding: 1 }),
        norm(n, c),
        relu(),
      );
      if (e === count) back.push(pad("reflect", 3), conv2d(ngf, o.output_nc, 7), tanh());
      this.#enhancers.push({
        front: sequential(this, `model${e}_1`, front),
        back: sequential(this, `model${e}_2`, back),
      });
    }
  }

  /**
   * Generates images, keeping the input pyramid and the global features.
   *
   * @param x NHWC input [batch, h, w, input_nc], sides multiples of 2^(n_downsample_global + n_local_enhancers)
   * @returns the trace; the caller disposes its tensors
   * @throws {RangeError} on a wrong channel count or side
   */
  trace(x: tf.Tensor4D): LocalEnhancerTrace {
    this.#check(x);
    const kept = { pyramid: [] as tf.Tensor4D[], globalFeatures: null as tf.Tensor4D | null };
    const output = this.#level(x, 0, kept);
    return { pyramid: kept.pyramid, globalFeatures: kept.globalFeatures!, output };
  }

  /**
   * Generates images.
   *
   * @param x NHWC input [batch, h, w, input_nc], sides multiples of 2^(n_downsample_global + n_local_enhancers)
   * @returns NHWC images in [-1, 1]
   * @throws {RangeError} on a wrong channel count or side
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.#check(x);
    return this.#level(x, 0, null);
  }

  #check(x: tf.Tensor4D): void {
    const o = this.options;
    checkInput(
      "local-enhancer",
      x,
      o.input_nc,
      "input_nc",
      2 ** (o.n_downsample_global + o.n_local_enhancers),
    );
  }

  /**
   * The network from pyramid level `level` (0: the input's resolution) down: the global part on the
   * coarsest level, else `back(front(input) + the levels below)`. The front runs before the levels
   * below, so its full-resolution activations peak while only the input is live beside them, and each
   * intermediate is freed as soon as it is used (the official order, global part first, would hold the
   * global features through that peak). Each op sees the same inputs either way: the result is the same.
   *
   * @param input this level's input (the caller's; not freed)
   * @param level 0 … n_local_enhancers
   * @param kept where `trace` keeps the pyramid and the global features; null frees them
   * @returns this level's output
   */
  #level(
    input: tf.Tensor4D,
    level: number,
    kept: { pyramid: tf.Tensor4D[]; globalFeatures: tf.Tensor4D | null } | null,
  ): tf.Tensor4D {
    const count = this.options.n_local_enhancers;
    if (level === count) {
      const features = this.#global.apply(input);
      if (kept) kept.globalFeatures = features;
      return features;
    }
    const { front, back } = this.#enhancers[count - 1 - level];
    const local = front.apply(input);
    let sum: tf.Tensor4D;
    try {
      const coarser = downsample(input);
      if (kept) kept.pyramid.push(coarser);
      let below: tf.Tensor4D;
      try {
        below = this.#level(coarser, level + 1, kept);
      } finally {
        if (!kept) coarser.dispose();
      }
      sum = tf.add(local, below);
      if (!kept || level + 1 < count) below.dispose();
    } finally {
      local.dispose();
    }
    try {
      return back.apply(sum);
    } finally {
      sum.dispose();
    }
  }
}

/** The local enhancer as a plugin. */
export const localEnhancerPlugin = definePlugin({
  name: "local-enhancer",
  role: "generator",
  description: "pix2pixHD LocalEnhancer (netG=local, the 1024p model) with any number of enhancers",
  provides: ["generator", "netG:local"],
  schema: localEnhancerSchema,
  create: (options) => new LocalEnhancer(options),
});
