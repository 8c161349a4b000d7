/**
 * Synthesis: label map (+ instance map, + instance-wise features) → photo, as the official `test.py`
 * does: one-hot + boundary (unless `no_instance`), the generator, and the image brought back to the
 * size `resize_or_crop` made (undoing the fit to the network's multiple).
 *
 * @module
 */
import { type Tensor4D, tf } from "../../backends/tf.ts";
import { defineSchema, type OptionsOf, resolveOptions } from "../../kernel/options.ts";
import type { Sample } from "../../kernel/plugin.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { checkGeneratorInput } from "../networks/infer.ts";
import { type Entry, readRawSample } from "../data/sample_reader.ts";
import { rawToSample } from "../data/sample_tensors.ts";
import { encodeSample } from "../data/transforms.ts";
import { restoreSize } from "../data/restore_size.ts";
import type { GeometryPlan } from "../data/preprocess.ts";
import type { Palette } from "../data/palette.ts";
import type { OpenedGenerator } from "./generator_file.ts";
import { checkForwardFits } from "./memory_check.ts";

/** Options of synthesis (official names and the official test defaults). */
export const synthSchema = defineSchema({
  label_nc: { type: "int", default: 35, min: 0, doc: "label classes (0: the input is an RGB image)" },
  no_instance: { type: "boolean", default: false, doc: "no instance maps: no boundary channel" },
  resize_or_crop: {
    type: "enum",
    default: "scale_width",
    choices: ["scale_width", "scale_width_and_crop", "resize_and_crop", "crop", "none"],
    doc:
      "scale_width: to loadSize wide; none: keep the label map's size; *_crop: the centre fineSize window (sizes are fitted to the network's multiple)",
  },
  loadSize: { type: "int", default: 1024, min: 1, doc: "width (scale_width*) or side (resize_and_crop)" },
  fineSize: { type: "int", default: 512, min: 1, doc: "side of the window of the *crop modes" },
  none_fit: {
    type: "enum",
    default: "round",
    choices: ["round", "pad"],
    doc:
      "sizes not a multiple of the network's: resize to the nearest multiple (official) or mirror-pad up to it",
  },
  unknown_label: {
    type: "int",
    default: null,
    min: -1,
    doc: "map label ids ≥ label_nc to this class (-1: no class) instead of stopping with an error",
  },
});
/** Resolved synthesis options. */
export type SynthOptions = OptionsOf<typeof synthSchema>;

/** The crop draws of synthesis: the centre window (the official test.py draws a random one), no flip. */
const CENTRE = { x: 0.5, y: 0.5, flip: 0 } as const;

/** Makes the instance-wise feature channels of a sample (from clusters, a style choice or an encoded photo). */
export type FeatureSource = (sample: Sample) => Tensor4D | Promise<Tensor4D>;

/** One synthesized image. */
export interface Synthesized {
  /** The sample's name. */
  name: string;
  /** The image in [-1, 1], `[1, H, W, 3]` at the size the input was resized or cropped to; the caller disposes it. */
  image: Tensor4D;
  /** How the input was fitted to the network. */
  plan: GeometryPlan;
}

/** Synthesizes images with one generator. */
export class Synthesizer {
  readonly generator: OpenedGenerator;
  readonly options: SynthOptions;
  readonly #features?: { channels: number; source: FeatureSource };

  /**
   * @param generator an opened generator
   * @param options data flags (checked against the generator's input channels now)
   * @param features instance-wise features to append to the input, with their channel count
   * @throws {CheckpointError} naming the flag that is off when the input would not fit the generator
   */
  constructor(
    generator: OpenedGenerator,
    options: Partial<SynthOptions> = {},
    features?: { channels: number; source: FeatureSource },
  ) {
    this.generator = generator;
    this.options = resolveOptions("synth", synthSchema, options);
    this.#features = features;
    checkGeneratorInput(generator.input_nc, {
      label_nc: this.options.label_nc,
      no_instance: this.options.no_instance,
      feature_channels: features?.channels ?? 0,
    }, generator.file);
  }

  /**
   * Reads one sample's files and prepares the generator input.
   *
   * @param entry the label map (and instance map, photo) of one sample
   * @param palette the colours of a colour-coded label map (its dataset's), or null for an id map
   * @returns the sample with `label`, `inst`, `edge`, `oneHot`, `input` and `plan`; the caller disposes it
   * @throws {DataError} naming the file for unreadable files, size mismatches or bad label ids
   */
  async prepare(entry: Entry, palette: Palette | null = null): Promise<Sample> {
    const o = this.options;
    const g = this.generator;
    const nDown = Math.log2(g.multiple);
    const raw = await readRawSample(entry, {
      label_nc: o.label_nc,
      palette,
      check_inst_ids: true,
      preprocess: {
        resize_or_crop: o.resize_or_crop,
        loadSize: o.loadSize,
        fineSize: o.fineSize,
        no_flip: true,
        n_downsample_global: nDown,
        netG: "global",
        n_local_enhancers: 1,
        none_fit: o.none_fit,
        fit_every_mode: true,
      },
    }, CENTRE);
    const sample = rawToSample(raw);
    const { inst: _unused, ...withoutInst } = sample;
    const encoded = await encodeSample(o.no_instance ? withoutInst : sample, {
      label_nc: o.label_nc,
      no_instance: o.no_instance,
      unknown_label: o.unknown_label,
    });
    if (o.no_instance && sample.inst) encoded.inst = sample.inst;
    if (this.#features) {
      const feats = await this.#features.source(encoded);
      const input = tf.concat([encoded.input as Tensor4D, feats], 3);
      tf.dispose([encoded.input as Tensor4D, feats]);
      encoded.input = input;
    }
    return encoded;
  }

  /**
   * Runs the generator on a prepared sample.
   *
   * @param sample from `prepare` (not disposed)
   * @returns the image at the size the input was resized or cropped to (before the fit to the network's multiple); the caller disposes it
   * @throws {BackendError} before it starts, when the pass would outgrow the wasm heap
   */
  generate(sample: Sample): Tensor4D {
    const plan = sample.plan as GeometryPlan;
    const input = sample.input as Tensor4D;
    checkForwardFits({
      inputShape: input.shape,
      fullResChannels: this.generator.arch.options.ngf,
      weightBytes: [...this.generator.net.params().values()].reduce((n, v) => n + 4 * v.size, 0),
    });
    return tf.tidy(() => restoreSize(this.generator.net.apply(input), plan));
  }

  /**
   * Synthesizes one sample from its files.
   *
   * @param entry label map path (and instance map, photo)
   * @returns the synthesized image; the caller disposes it
   */
  async synthesize(entry: Entry): Promise<Synthesized> {
    const sample = await this.prepare(entry);
    try {
      return { name: entry.name, image: this.generate(sample), plan: sample.plan as GeometryPlan };
    } finally {
      disposeAll(sample);
    }
  }
}
