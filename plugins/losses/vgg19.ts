/**
 * The frozen VGG19 feature extractor of the official perceptual loss: torchvision's `vgg19().features`
 * cut into slices [0:2], [2:7], [7:12], [12:21], [21:30], whose outputs are relu1_1, relu2_1,
 * relu3_1, relu4_1 and relu5_1. Weights come from torchvision's state_dict (`features.N.weight`);
 * the channel widths are read from it, so tests can use small random weights of the same structure.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import { Rng } from "../../kernel/random.ts";
import { loadPth } from "../../formats/pth.ts";
import { type NdArray, toFloat32 } from "../../formats/ndarray.ts";
import { permute4d } from "../networks/_module.ts";
import { leakyReluGradient } from "../../backends/gradients.ts";

/** Where to get the weights, for error messages. */
export const VGG19_HELP =
  "download torchvision's VGG19 weights, vgg19-dcbb9e9d.pth, from https://download.pytorch.org/models/vgg19-dcbb9e9d.pth " +
  "(or `torchvision.models.vgg19(pretrained=True)` caches it in ~/.cache/torch/hub/checkpoints/) and pass its path";

/**
 * The conv layers of `features` up to relu5_1, by slice; each conv is followed by a ReLU, and in
 * slices 2-5 a 2×2 max pool precedes the last conv, which also widens the channels.
 */
const SLICES: readonly (readonly number[])[] = [[0], [2, 5], [7, 10], [12, 14, 16, 19], [21, 23, 25, 28]];
/** The official widths: channels of slices 1-5. */
const VGG19_WIDTHS = [64, 128, 256, 512, 512] as const;

/**
 * A random VGG19 state_dict (torchvision's init: kaiming-normal fan_out weights, zero biases) with
 * the given widths; for tests and benchmarks when the real weights are not needed.
 *
 * @param seed random seed
 * @param widths channels of slices 1-5 (official: 64, 128, 256, 512, 512)
 * @returns `features.N.weight` / `features.N.bias` arrays in PyTorch layout
 */
export function randomVgg19StateDict(
  seed: number,
  widths: readonly number[] = VGG19_WIDTHS,
): Map<string, NdArray> {
  const rng = new Rng(seed);
  const sd = new Map<string, NdArray>();
  let inC = 3;
  SLICES.forEach((convs, s) => {
    for (const index of convs) {
      const outC = s === 0 || index === convs[convs.length - 1] ? widths[s] : widths[s - 1];
      const std = Math.sqrt(2 / (outC * 9));
      const weight = Float32Array.from({ length: outC * inC * 9 }, () => rng.normal() * std);
      sd.set(`features.${index}.weight`, { shape: [outC, inC, 3, 3], dtype: "float32", data: weight });
      sd.set(`features.${index}.bias`, { shape: [outC], dtype: "float32", data: new Float32Array(outC) });
      inC = outC;
    }
  });
  return sd;
}

/**
 * `relu(conv3×3(x, filter) + bias)` with pad 1, as one `FusedConv2D` kernel also while a gradient is
 * taken, and a gradient for x only. tfjs's `fused.conv2d` falls back to three kernels (conv, bias add,
 * ReLU) whenever a tape is recording, so the perceptual loss of the generated image paid two extra
 * passes over every VGG activation and kept each pre-activation for the ReLU's gradient; the weights
 * are frozen, so no filter or bias gradient is needed either. The gradient is ReLU's (from the
 * output: it is positive exactly where the pre-activation is), then the convolution's input gradient:
 * a forward convolution with the {@link adjointFilter} where there is one, else tfjs's
 * `conv2dTranspose` (the same sums).
 *
 * @param x NHWC activations
 * @param conv the layer's weights
 * @returns the activations after the conv and ReLU
 */
function frozenConvRelu(x: tf.Tensor4D, conv: FrozenConv): tf.Tensor4D {
  const { filter, bias, adjoint } = conv;
  const attrs = { strides: 1, pad: 1, dataFormat: "NHWC", dilations: 1, activation: "relu" };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = tf.engine().runKernel("FusedConv2D", { x: input, filter, bias }, attrs) as tf.Tensor4D;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) =>
        tf.tidy(() => {
          const g = leakyReluGradient(dy, saved, 0) as tf.Tensor4D;
          return adjoint ? tf.conv2d(g, adjoint, 1, 1) : tf.conv2dTranspose(g, filter, input.shape, 1, 1);
        }),
    };
  });
  return op(x) as tf.Tensor4D;
}

/** One frozen 3×3 conv layer. */
interface FrozenConv {
  /** `[3, 3, in, out]`. */
  filter: tf.Tensor4D;
  /** `[out]`. */
  bias: tf.Tensor1D;
  /** `[3, 3, out, in]`: the input gradient's filter ({@link adjointFilter}); absent for a 3-channel input. */
  adjoint?: tf.Tensor4D;
}

/**
 * Input channels from which a layer's input gradient runs as a forward convolution with the adjoint
 * filter. oneDNN's convolutions vectorise over output channels, 16 at a time: the first layer's
 * gradient (3 channels) stays a transposed convolution.
 */
const ADJOINT_MIN_CHANNELS = 16;

/**
 * The filter whose forward 3×3 convolution (stride 1, pad 1) is the input gradient of a convolution
 * with `w`: `adjoint[kh, kw, o, i] = w[o, i, 2 - kh, 2 - kw]` (flipped in space, channels swapped).
 * oneDNN runs it as a forward convolution at 200-230 GMAC/s where its backward-data kernels ran VGG's
 * layers at 100-200 (training at ngf 32, 256×128: 172 → 162 ms of input gradients a step); the
 * weights are frozen, so it is built once (52 MB for VGG19 up to relu5_1).
 *
 * @param w torchvision's `[out, in, 3, 3]` weight, float32
 * @param outC out channels
 * @param inC in channels
 * @returns the `[3, 3, out, in]` filter
 */
function adjointFilter(w: Float32Array, outC: number, inC: number): tf.Tensor4D {
  const adjoint = new Float32Array(w.length);
  for (let kh = 0; kh < 3; kh++) {
    for (let kw = 0; kw < 3; kw++) {
      for (let o = 0; o < outC; o++) {
        const row = ((kh * 3 + kw) * outC + o) * inC;
        for (let i = 0; i < inC; i++) adjoint[row + i] = w[((o * inC + i) * 3 + 2 - kh) * 3 + 2 - kw];
      }
    }
  }
  return tf.tensor4d(adjoint, [3, 3, outC, inC]);
}

/** VGG19 features relu1_1 … relu5_1, frozen (constants, not variables). */
export class Vgg19Features {
  readonly #convs: Map<number, FrozenConv>;

  private constructor(convs: Map<number, FrozenConv>) {
    this.#convs = convs;
  }

  /**
   * Builds the extractor from a torchvision `vgg19` state_dict (extra keys such as the classifier
   * and `features.30+` are ignored).
   *
   * @param sd the state_dict
   * @param file where it came from, named in errors
   * @returns the extractor
   * @throws {CheckpointError} naming the first missing or wrongly shaped tensor
   */
  static fromStateDict(sd: Map<string, NdArray>, file: string): Vgg19Features {
    let inC = 3;
    const checked: Array<[number, NdArray, NdArray]> = [];
    for (const index of SLICES.flat()) {
      const w = sd.get(`features.${index}.weight`), b = sd.get(`features.${index}.bias`);
      if (!w || !b) {
        throw new CheckpointError(
          file,
          `is not a torchvision VGG19 state_dict: features.${index}.weight/bias missing; ${VGG19_HELP}`,
        );
      }
      const [outC, c, kh, kw] = w.shape;
      if (w.shape.length !== 4 || c !== inC || kh !== 3 || kw !== 3 || b.shape.join() !== String(outC)) {
        throw new CheckpointError(
          file,
          `features.${index}.weight has shape [${w.shape.join(", ")}] (bias [${
            b.shape.join(", ")
          }]) but VGG19 needs ` +
            `[out, ${inC}, 3, 3] (bias [out]) there`,
        );
      }
      checked.push([index, w, b]);
      inC = outC;
    }
    const convs = new Map(checked.map(([index, w, b]) => {
      const [outC, inC] = w.shape;
      const weights = toFloat32(w);
      const filter = tf.tensor4d(permute4d(weights, w.shape, [2, 3, 1, 0]), [3, 3, inC, outC]);
      const conv: FrozenConv = { filter, bias: tf.tensor1d(toFloat32(b)) };
      if (inC >= ADJOINT_MIN_CHANNELS) conv.adjoint = adjointFilter(weights, outC, inC);
      return [index, conv];
    }));
    return new Vgg19Features(convs);
  }

  /**
   * Loads torchvision's VGG19 weights from a `.pth` file.
   *
   * @param path the file (torchvision's `vgg19-dcbb9e9d.pth`)
   * @returns the extractor
   * @throws {CheckpointError} when the file is missing (saying where to get it) or is not VGG19
   */
  static async load(path: string): Promise<Vgg19Features> {
    try {
      await Deno.stat(path);
    } catch {
      throw new CheckpointError(path, `VGG19 weights not found: ${VGG19_HELP}`);
    }
    return Vgg19Features.fromStateDict(await loadPth(path), path);
  }

  /**
   * The five feature maps of an image batch (the official code feeds [-1, 1] images unnormalised).
   *
   * @param x NHWC images [batch, h, w, 3]
   * @returns relu1_1, relu2_1, relu3_1, relu4_1, relu5_1; the caller disposes them
   * @throws {RangeError} when x does not have 3 channels
   */
  apply(x: tf.Tensor4D): tf.Tensor4D[] {
    if (x.rank !== 4 || x.shape[3] !== 3) {
      throw new RangeError(`VGG19 expects NHWC RGB images [batch, h, w, 3], got [${x.shape.join(", ")}]`);
    }
    const outputs: tf.Tensor4D[] = [];
    let y = x;
    SLICES.forEach((convs, s) => {
      const next = tf.tidy(() => {
        let z = y;
        for (const index of convs) {
          if (s > 0 && index === convs[convs.length - 1]) z = tf.maxPool(z, 2, 2, "valid");
          z = frozenConvRelu(z, this.#convs.get(index)!);
        }
        return z;
      });
      outputs.push(next);
      y = next;
    });
    return outputs;
  }

  /** Frees the weights. */
  dispose(): void {
    for (const { filter, bias, adjoint } of this.#convs.values()) tf.dispose([filter, bias, adjoint ?? []]);
    this.#convs.clear();
  }
}
