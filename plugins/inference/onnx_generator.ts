/**
 * A generator on the onnxruntime runtime: the network's weights exported in memory to ONNX
 * (`generatorToOnnx`, no file written) and one onnxruntime session over them, run on TensorFlow.js
 * tensors: `[1, H, W, C]` NHWC in, transposed to the ONNX model's NCHW, and the image transposed back.
 * One session per opened generator and thread count (`onnxGeneratorFor`), released with
 * `releaseOnnxGenerators` when the generator is disposed.
 *
 * @module
 */
import type * as Ort from "onnxruntime-node";
import { type Tensor4D, tf } from "../../backends/tf.ts";
import { BackendError } from "../../kernel/errors.ts";
import { generatorToOnnx } from "../export/onnx.ts";
import { onnxSizeProblem } from "../export/export.ts";
import { inferGenerator } from "../networks/infer.ts";
import type { GlobalGenerator } from "../networks/global_generator.ts";
import type { LocalEnhancer } from "../networks/local_enhancer.ts";
import { loadOnnxRuntime, type OnnxImporter } from "./onnx_runtime.ts";
import type { OpenedGenerator } from "./generator_file.ts";

/** How a session is made. */
export interface OnnxGeneratorOptions {
  /** onnxruntime's intra-op threads. */
  threads: number;
  /** The checkpoint, named in errors. */
  file: string;
  /** How onnxruntime-node is imported (default: the pinned npm package). */
  importer?: OnnxImporter;
}

/** A generator's ONNX model in an onnxruntime session. */
export class OnnxGenerator {
  readonly #ort: typeof Ort;
  readonly #session: Ort.InferenceSession;
  /** The input channels the model takes. */
  readonly inputChannels: number;
  /** onnxruntime's intra-op threads. */
  readonly threads: number;

  private constructor(
    ort: typeof Ort,
    session: Ort.InferenceSession,
    inputChannels: number,
    threads: number,
  ) {
    this.#ort = ort;
    this.#session = session;
    this.inputChannels = inputChannels;
    this.threads = threads;
  }

  /**
   * Exports a network's weights to ONNX in memory and opens a session on them.
   *
   * @param net the generator (its weights are read, not kept)
   * @param options threads, the checkpoint's name for errors
   * @returns the session's generator; `release` it when done
   * @throws {BackendError} when onnxruntime-node does not load here or the weights exceed one ONNX model's 2 GiB
   * @throws {CheckpointError} when the weights are not a pix2pixHD generator's
   */
  static async open(
    net: GlobalGenerator | LocalEnhancer,
    options: OnnxGeneratorOptions,
  ): Promise<OnnxGenerator> {
    const ort = await loadOnnxRuntime(options.importer);
    const sd = net.stateDict();
    const tooLarge = onnxSizeProblem(sd, options.file);
    if (tooLarge) throw new BackendError("onnxruntime", `${tooLarge}; pass --runtime tfjs`);
    const arch = inferGenerator(sd, options.file);
    const model = generatorToOnnx(arch, sd, options.file, {
      doc: "pix2pixHD generator, exported in memory for the onnxruntime runtime",
      metadata: { architecture: JSON.stringify({ netG: arch.netG, ...arch.options }) },
    });
    sd.clear();
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    return new OnnxGenerator(ort, session, arch.options.input_nc, options.threads);
  }

  /**
   * Runs the generator.
   *
   * @param input `[1, H, W, C]` NHWC, sides multiples of the network's (not disposed)
   * @returns the image `[1, H, W, 3]` in [-1, 1]; the caller disposes it
   * @throws {RangeError} when the input has another channel count than the model takes
   */
  async apply(input: Tensor4D): Promise<Tensor4D> {
    const [n, h, w, c] = input.shape;
    if (c !== this.inputChannels) {
      throw new RangeError(
        `Cannot run the onnxruntime generator on [${input.shape}]: it takes ${this.inputChannels} input channels, not ${c}`,
      );
    }
    const nchw = tf.transpose(input, [0, 3, 1, 2]);
    const data = await nchw.data() as Float32Array;
    nchw.dispose();
    const feeds = { input: new this.#ort.Tensor("float32", data, [n, c, h, w]) };
    const { image } = await this.#session.run(feeds);
    const [on, oc, oh, ow] = image.dims;
    const values = image.data as Float32Array;
    image.dispose();
    return tf.tidy(() => tf.transpose(tf.tensor4d(values, [on, oc, oh, ow]), [0, 2, 3, 1]));
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.#session.release();
  }
}

/** The sessions of each opened generator, by thread count. */
const sessions = new WeakMap<OpenedGenerator, Map<number, Promise<OnnxGenerator>>>();

/**
 * The onnxruntime session of an opened generator, made on the first call and shared after.
 *
 * @param generator the opened generator
 * @param threads onnxruntime's intra-op threads
 * @returns its session's generator
 * @throws {BackendError} when onnxruntime-node does not load here (later calls try again)
 */
export function onnxGeneratorFor(generator: OpenedGenerator, threads: number): Promise<OnnxGenerator> {
  const byThreads = sessions.get(generator) ?? new Map<number, Promise<OnnxGenerator>>();
  sessions.set(generator, byThreads);
  let session = byThreads.get(threads);
  if (!session) {
    session = OnnxGenerator.open(generator.net, { threads, file: generator.file });
    session.catch(() => byThreads.delete(threads));
    byThreads.set(threads, session);
  }
  return session;
}

/**
 * Releases the onnxruntime sessions `onnxGeneratorFor` made for a generator (none: nothing to do).
 *
 * @param generator the opened generator
 */
export async function releaseOnnxGenerators(generator: OpenedGenerator): Promise<void> {
  const byThreads = sessions.get(generator);
  sessions.delete(generator);
  for (const session of byThreads?.values() ?? []) {
    await (await session.catch(() => null))?.release();
  }
}
