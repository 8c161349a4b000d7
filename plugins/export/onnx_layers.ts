/**
 * The pix2pixHD layers as ONNX nodes, mirroring `plugins/networks/_layers/` one for one: a layer is
 * given the graph, its input and its official name (`model.4`) and returns its output. Sequences are
 * numbered like `nn.Sequential`, so the initializers carry the official state_dict names.
 *
 * - ReflectionPad2d / ReplicationPad2d: `Pad` with mode `reflect` / `edge`;
 * - Conv2d, ConvTranspose2d (stride 2, padding 1, output_padding 1, as PyTorch): `Conv`, `ConvTranspose`;
 * - InstanceNorm2d(affine=False): `InstanceNormalization` with scale 1, bias 0, epsilon 1e-5;
 * - BatchNorm2d as the official code runs it (batch statistics, biased variance, eps 1e-5):
 *   `ReduceMean`, `Sub`, `Mul`, `Sqrt`, `Div`, `Add`;
 * - the local enhancer's input pyramid: `AveragePool` 3×3, stride 2, padding 1, count_include_pad 0.
 *
 * @module
 */
import type { NormType } from "../networks/_layers/norm.ts";
import type { PaddingType } from "../networks/_layers/pad.ts";
import type { OnnxGraphBuilder } from "./onnx_graph.ts";
import { int, ints } from "../../formats/onnx_graph.ts";

/** A layer: adds its nodes for input `x` under the official name `name`, returns its output. */
export type OnnxLayer = (g: OnnxGraphBuilder, x: string, name: string) => string;

/** PyTorch's epsilon of both norms. */
const EPS = 1e-5;

/**
 * Applies layers as one `nn.Sequential`: layer i is named `${prefix}.${i}`.
 *
 * @param g the graph
 * @param x the input
 * @param prefix the Sequential's name
 * @param layers the layers in official order
 * @returns the output
 */
export function sequential(
  g: OnnxGraphBuilder,
  x: string,
  prefix: string,
  layers: readonly OnnxLayer[],
): string {
  return layers.reduce((y, layer, i) => layer(g, y, `${prefix}.${i}`), x);
}

/**
 * `ReflectionPad2d(p)` or `ReplicationPad2d(p)`.
 *
 * @param type "reflect" or "replicate"
 * @param p the padding on every side
 * @returns the layer
 */
export function pad(type: Exclude<PaddingType, "zero">, p: number): OnnxLayer {
  const mode = type === "reflect" ? "reflect" : "edge";
  return (g, x) =>
    g.op("Pad", [x, g.int64s(`pads_${p}`, [0, 0, p, p, 0, 0, p, p])], [{
      name: "mode",
      kind: "string",
      value: mode,
    }]);
}

/** Options of a convolution. */
export interface ConvOptions {
  stride?: number;
  padding?: number;
}

/**
 * `Conv2d(cin, cout, k, stride, padding)` with bias.
 *
 * @param cin input channels
 * @param cout output channels
 * @param k kernel side
 * @param o stride and zero padding (default 1 and 0)
 * @returns the layer
 */
export function conv2d(cin: number, cout: number, k: number, o: ConvOptions = {}): OnnxLayer {
  const { stride = 1, padding = 0 } = o;
  return (g, x, name) =>
    g.op("Conv", [x, g.weight(`${name}.weight`, [cout, cin, k, k]), g.weight(`${name}.bias`, [cout])], [
      ints("kernel_shape", [k, k]),
      ints("strides", [stride, stride]),
      ints("pads", [padding, padding, padding, padding]),
      ints("dilations", [1, 1]),
      int("group", 1),
    ]);
}

/**
 * `ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1)` with bias: doubles each side.
 *
 * @param cin input channels
 * @param cout output channels
 * @returns the layer
 */
export function convTranspose2d(cin: number, cout: number): OnnxLayer {
  return (g, x, name) =>
    g.op("ConvTranspose", [
      x,
      g.weight(`${name}.weight`, [cin, cout, 3, 3]),
      g.weight(`${name}.bias`, [cout]),
    ], [
      ints("kernel_shape", [3, 3]),
      ints("strides", [2, 2]),
      ints("pads", [1, 1, 1, 1]),
      ints("output_padding", [1, 1]),
      ints("dilations", [1, 1]),
      int("group", 1),
    ]);
}

/**
 * `InstanceNorm2d(channels)` (no affine parameters) or `BatchNorm2d(channels)` with batch statistics.
 *
 * @param type "instance" or "batch"
 * @param channels the channels
 * @returns the layer
 */
export function norm(type: NormType, channels: number): OnnxLayer {
  if (type === "instance") {
    return (g, x) =>
      g.op(
        "InstanceNormalization",
        [x, g.floats(`ones_${channels}`, [channels], 1), g.floats(`zeros_${channels}`, [channels], 0)],
        [{ name: "epsilon", kind: "float", value: EPS }],
      );
  }
  return (g, x, name) => {
    const axes = ints("axes", [0, 2, 3]);
    const mean = g.op("ReduceMean", [x], [axes, int("keepdims", 1)]);
    const centred = g.op("Sub", [x, mean]);
    const variance = g.op("ReduceMean", [g.op("Mul", [centred, centred])], [axes, int("keepdims", 1)]);
    const std = g.op("Sqrt", [g.op("Add", [variance, g.floats("norm_eps", [], EPS)])]);
    const shape = [1, channels, 1, 1];
    const scaled = g.op("Mul", [g.op("Div", [centred, std]), g.weight(`${name}.weight`, [channels], shape)]);
    return g.op("Add", [scaled, g.weight(`${name}.bias`, [channels], shape)]);
  };
}

/** `nn.ReLU`. */
export const relu: OnnxLayer = (g, x) => g.op("Relu", [x]);

/** `nn.Tanh`. */
export const tanh: OnnxLayer = (g, x) => g.op("Tanh", [x]);

/**
 * The official `ResnetBlock`: x + conv_block(x), conv_block = [pad, conv3×3, norm, ReLU, pad, conv3×3,
 * norm] (zero padding: the convs pad themselves and the pad layers are absent).
 *
 * @param dim channels
 * @param paddingType "reflect", "replicate" or "zero"
 * @param normType "instance" or "batch"
 * @returns the layer
 */
export function resnetBlock(dim: number, paddingType: PaddingType, normType: NormType): OnnxLayer {
  const half = (): OnnxLayer[] =>
    paddingType === "zero"
      ? [conv2d(dim, dim, 3, { padding: 1 }), norm(normType, dim)]
      : [pad(paddingType, 1), conv2d(dim, dim, 3), norm(normType, dim)];
  return (g, x, name) =>
    g.op("Add", [x, sequential(g, x, `${name}.conv_block`, [...half(), relu, ...half()])]);
}

/**
 * The local enhancer's downsampling of its input: `AvgPool2d(3, stride=2, padding=[1, 1],
 * count_include_pad=False)`.
 *
 * @param g the graph
 * @param x the input
 * @returns the half-size input
 */
export function downsample(g: OnnxGraphBuilder, x: string): string {
  return g.op("AveragePool", [x], [
    ints("kernel_shape", [3, 3]),
    ints("strides", [2, 2]),
    ints("pads", [1, 1, 1, 1]),
    int("count_include_pad", 0),
  ]);
}
