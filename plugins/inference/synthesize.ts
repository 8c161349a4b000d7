/**
 * Synthesis: label map (+ instance map, + instance-wise features) → photo, as the official `test.py`
 * does: one-hot + boundary (unless `no_instance`), the generator, and the image brought back to the
 * size `resize_or_crop` made (undoing the fit to the network's multiple). The generator runs on the
 * runtime the options name (`runtime_options.ts`): TensorFlow.js (`generate`, synchronous) or
 * onnxruntime (`generateAsync`, as its sessions run asynchronously).
 *
 * @module
 */
import { type Tensor4D, tf } from "../../backends/tf.ts";
import { defineSchema, type OptionsOf, resolveOptions } from "../../kernel/options.ts";
import type { Facts, Sample, TransformStage } from "../../kernel/plugin.ts";
import { type Pipeline, pipeline } from "../../kernel/pipeline.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { checkGeneratorInput } from "../networks/infer.ts";
import type { Entry } from "../data/sample_reader.ts";
import { entrySample, readFiles } from "../data/read_files.ts";
import { encodeInput } from "../data/transforms.ts";
import { labelOptionsSchema } from "../data/label_options.ts";
import { restoreSize } from "../data/restore_size.ts";
import { type GeometryPlan, preprocessSchema } from "../data/preprocess.ts";
import type { OpenedGenerator } from "./generator_file.ts";
import { checkForwardFits } from "./memory_check.ts";
import { intraOpThreads, type RuntimeOptions, runtimeSchema } from "./runtime_options.ts";
import { onnxGeneratorFor } from "./onnx_generator.ts";

/** Options of synthesis (official names and the official test defaults). */
export const synthSchema = defineSchema({
  ...labelOptionsSchema,
  resize_or_crop: {
    ...preprocessSchema.resize_or_crop,
    doc:
      "scale_width: to loadSize wide; none: keep the label map's size; *_crop: the centre fineSize window (sizes are fitted to the network's multiple)",
  },
  loadSize: { ...preprocessSchema.loadSize, doc: "width (scale_width*) or side (resize_and_crop)" },
  fineSize: { ...preprocessSchema.fineSize, doc: "side of the window of the *crop modes" },
  none_fit: {
    ...preprocessSchema.none_fit,
    doc:
      "sizes not a multiple of the network's: resize to the nearest multiple (official) or mirror-pad up to it",
  },
  unknown_label: {
    type: "int",
    default: null,
    min: -1,
    doc: "map label ids ≥ label_nc to this class (-1: no class) instead of stopping with an error",
  },
  ...runtimeSchema,
});
/** Resolved synthesis options. */
export type SynthOptions = OptionsOf<typeof synthSchema>;

/** Makes the instance-wise feature channels of a sample (from clusters, a style choice or an encoded photo). */
export type FeatureSource = (sample: Sample) => Tensor4D | Promise<Tensor4D>;

/**
 * A transform giving `feat` from a feature source (any `feat` the sample had is replaced).
 *
 * @param source the feature source
 * @param name the stage's name, for errors
 * @returns the stage (needs `label`; sources read `inst`, `label` or `image`)
 */
export function featureStage(source: FeatureSource, name = "features"): TransformStage {
  return {
    kind: "transform",
    name,
    needs: ["label"],
    gives: ["feat"],
    async apply(sample: Sample): Promise<Sample> {
      const feat = await source(sample);
      if (sample.feat instanceof tf.Tensor && sample.feat !== feat) sample.feat.dispose();
      return { ...sample, feat };
    },
  };
}

/**
 * Runs a generator on an input and brings the image back to the size before the fit to the network's
 * multiple, after checking the pass fits the backend's memory.
 *
 * @param generator the opened generator
 * @param input its input `[1, H, W, C]`
 * @param plan how the input was fitted (null: keep the network's size)
 * @returns the image in [-1, 1]; the caller disposes it
 * @throws {BackendError} before it starts, when the pass would outgrow the wasm heap
 */
export function runGenerator(
  generator: OpenedGenerator,
  input: Tensor4D,
  plan: GeometryPlan | null,
): Tensor4D {
  checkForwardFits({
    inputShape: input.shape,
    fullResChannels: generator.arch.options.ngf,
    weightBytes: [...generator.net.params().values()].reduce((n, v) => n + 4 * v.size, 0),
  });
  return tf.tidy(() => {
    const out = generator.net.apply(input);
    return plan ? restoreSize(out, plan) : out;
  });
}

/**
 * Runs a generator on the given runtime: as `runGenerator` on tfjs; on onnxruntime through the
 * generator's session (made on the first call), the image brought back to size the same way.
 *
 * @param generator the opened generator
 * @param input its input `[1, H, W, C]` (not disposed)
 * @param plan how the input was fitted (null: keep the network's size)
 * @param runtime which runtime, and onnxruntime's threads
 * @returns the image in [-1, 1]; the caller disposes it
 * @throws {BackendError} when the tfjs pass would outgrow the wasm heap, or onnxruntime-node does not load here
 */
export async function runGeneratorAsync(
  generator: OpenedGenerator,
  input: Tensor4D,
  plan: GeometryPlan | null,
  runtime: RuntimeOptions,
): Promise<Tensor4D> {
  if (runtime.runtime === "tfjs") return runGenerator(generator, input, plan);
  const onnx = await onnxGeneratorFor(generator, intraOpThreads(runtime));
  const out = await onnx.apply(input);
  if (!plan) return out;
  try {
    return restoreSize(out, plan);
  } finally {
    out.dispose();
  }
}

/** One synthesized image. */
export interface Synthesized {
  /** The sample's name. */
  name: string;
  /** The image in [-1, 1], `[1, H, W, 3]` at the size the input was resized or cropped to; the caller disposes it. */
  image: Tensor4D;
  /** How the input was fitted to the network. */
  plan: GeometryPlan;
}

/**
 * Synthesizes images with one generator. Its `pipeline` (read-files → instance features → encode-input)
 * is the one path from a sample's files to the generator input; `synth`, the demo, the studio's model
 * and label consistency read through it. On the onnxruntime runtime the generator's session is made on
 * the first `generateAsync` and shared by every synthesizer of that generator;
 * `releaseOnnxGenerators(generator)` frees it.
 */
export class Synthesizer {
  readonly generator: OpenedGenerator;
  readonly options: SynthOptions;
  /** From a sample naming its files (`entrySample`) to the generator input; configured once. */
  readonly pipeline: Pipeline;

  /**
   * @param generator an opened generator
   * @param options data flags (checked against the generator's input channels now)
   * @param features instance-wise features to append to the input, with their channel count
   * @param facts what the data implies (a dataset's `labelColors` for colour-coded label maps, its palette)
   * @throws {CheckpointError} naming the flag that is off when the input would not fit the generator
   */
  constructor(
    generator: OpenedGenerator,
    options: Partial<SynthOptions> = {},
    features?: { channels: number; source: FeatureSource },
    facts: Facts = {},
  ) {
    this.generator = generator;
    const o = this.options = resolveOptions("synth", synthSchema, options);
    checkGeneratorInput(generator.input_nc, {
      label_nc: o.label_nc,
      no_instance: o.no_instance,
      feature_channels: features?.channels ?? 0,
    }, generator.file);
    this.pipeline = pipeline({ facts: { ...facts, label_nc: o.label_nc, no_instance: o.no_instance } })
      .use(readFiles, {
        resize_or_crop: o.resize_or_crop,
        loadSize: o.loadSize,
        fineSize: o.fineSize,
        none_fit: o.none_fit,
        n_downsample_global: Math.log2(generator.multiple),
      });
    if (features) this.pipeline.use(featureStage(features.source));
    this.pipeline.use(encodeInput, { unknown_label: o.unknown_label });
  }

  /**
   * Reads one sample's files and prepares the generator input (runs `pipeline`).
   *
   * @param entry the label map (and instance map, photo) of one sample
   * @returns the sample with `label`, `inst`, `edge`, `oneHot`, `input` and `plan`; the caller disposes it
   * @throws {DataError} naming the file for unreadable files, size mismatches or bad label ids
   */
  prepare(entry: Entry): Promise<Sample> {
    return this.pipeline.process(entrySample(entry));
  }

  /**
   * Runs the generator on a prepared sample, synchronously: the tfjs runtime only.
   *
   * @param sample from `prepare` (not disposed)
   * @returns the image at the size the input was resized or cropped to (before the fit to the network's multiple); the caller disposes it
   * @throws {BackendError} before it starts, when the pass would outgrow the wasm heap
   * @throws {TypeError} on the onnxruntime runtime, naming `generateAsync`
   */
  generate(sample: Sample): Tensor4D {
    if (this.options.runtime !== "tfjs") {
      throw new TypeError(
        `Cannot run Synthesizer.generate() on runtime "${this.options.runtime}": its sessions run asynchronously; ` +
          `call await synthesizer.generateAsync(sample) (or synthesize(entry)), or make the synthesizer with runtime "tfjs"`,
      );
    }
    return runGenerator(this.generator, sample.input as Tensor4D, sample.plan as GeometryPlan);
  }

  /**
   * Runs the generator on a prepared sample, on the synthesizer's runtime (tfjs or onnxruntime).
   *
   * @param sample from `prepare` (not disposed)
   * @returns the image at the size the input was resized or cropped to; the caller disposes it
   * @throws {BackendError} when the tfjs pass would outgrow the wasm heap, or onnxruntime-node does not load here
   */
  generateAsync(sample: Sample): Promise<Tensor4D> {
    return runGeneratorAsync(
      this.generator,
      sample.input as Tensor4D,
      sample.plan as GeometryPlan,
      this.options,
    );
  }

  /**
   * Synthesizes one sample from its files, on the synthesizer's runtime.
   *
   * @param entry label map path (and instance map, photo)
   * @returns the synthesized image; the caller disposes it
   */
  async synthesize(entry: Entry): Promise<Synthesized> {
    const sample = await this.prepare(entry);
    try {
      return { name: entry.name, image: await this.generateAsync(sample), plan: sample.plan as GeometryPlan };
    } finally {
      disposeAll(sample);
    }
  }
}
