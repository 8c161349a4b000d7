/**
 * One ONNX model per convolution pass and geometry, on NHWC tensors as TensorFlow.js keeps them:
 *
 * - `forward`: `x [N,H,W,Ci]`, the filter `w`, optionally `b [Co]` → `y [N,Ho,Wo,Co]`. Either a Conv
 *   on `w [Co,Ci,kh,kw]` (ONNX's layout) between transposes, which onnxruntime folds into the blocked
 *   layout its convolutions reorder to; or, where the patches pay ({@link patchesPay}: few pixels, many
 *   channels), the input's patches (one slice per filter tap, concatenated) times `w [kh,kw,Ci,Co]` as
 *   TensorFlow.js keeps it, in one Gemm, with no permuted filter.
 * - `backward_data`: `dy [N,Ho,Wo,Co]` and the filter → `dx [N,H,W,Ci]`. With stride and dilation 1,
 *   either `dy · wᵀ` on TensorFlow.js's filter with each tap's block summed back into place (where the
 *   patches pay) or a Conv with the adjoint filter `[Ci,Co,kh,kw]` flipped, padded by `k − 1 − pad`;
 *   otherwise ConvTranspose on `w [Co,Ci,kh,kw]` (onnxruntime's fills a column buffer of `Ci·kh·kw`
 *   values per pixel and adds it back one value at a time, the slowest of the three).
 * - `backward_filter`: `x`, `dy` → `dw [kh,kw,Ci,Co]` (TensorFlow.js's layout): for each filter tap
 *   the (padded, strided) slice of `x` it sees, times `dy` in one Gemm over the pixels; the taps'
 *   `[Ci,Co]` blocks stacked. No transposes.
 *
 * @module
 */
import { encodeOnnxModel, type OnnxAttribute } from "../../formats/onnx_proto.ts";
import { int, ints, OnnxGraph } from "../../formats/onnx_graph.ts";
import type { ConvSpec } from "../onednn/conv_desc.ts";

/** A convolution's geometry: oneDNN's spec (TensorFlow.js's `Conv2DInfo`, NHWC) without its fused parts. */
export type ConvGeometry = Omit<ConvSpec, "kind" | "bias" | "activation" | "leakyreluAlpha">;

/** The activations a forward model can apply after its bias. */
export const ORT_ACTIVATIONS = ["linear", "relu", "leakyrelu", "sigmoid", "elu"] as const;
/** One of {@link ORT_ACTIVATIONS}. */
export type OrtActivation = typeof ORT_ACTIVATIONS[number];

/** What a forward model adds to the convolution. */
export interface ForwardExtras {
  bias: boolean;
  activation: OrtActivation;
  /** LeakyReLU's slope for negative values. */
  leakyreluAlpha: number;
}

/** A convolution pass. */
export type ConvPass = "forward" | "backward_data" | "backward_filter";

const OPSET = 17;
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** A graph whose int64 constants are named by their values (equal vectors share one). */
class Graph extends OnnxGraph {
  /** An int64 vector constant. */
  vector(values: readonly number[]): string {
    return this.int64s(`int64_${values.join("_").replaceAll("-", "m")}`, values);
  }
}

const axis = (value: number): OnnxAttribute => int("axis", value);

function convAttributes(g: ConvGeometry): OnnxAttribute[] {
  return [
    ints("kernel_shape", [g.filterHeight, g.filterWidth]),
    ints("strides", [g.strideHeight, g.strideWidth]),
    ints("dilations", [g.dilationHeight, g.dilationWidth]),
    ints("pads", [g.padTop, g.padLeft, g.padBottom, g.padRight]),
  ];
}

/** The activation on the NCHW output, next to the Conv so onnxruntime fuses the two. */
function activation(graph: Graph, x: string, extras: ForwardExtras): string {
  switch (extras.activation) {
    case "linear":
      return x;
    case "relu":
      return graph.op("Relu", [x]);
    case "leakyrelu":
      return graph.op("LeakyRelu", [x], [{ name: "alpha", kind: "float", value: extras.leakyreluAlpha }]);
    case "sigmoid":
      return graph.op("Sigmoid", [x]);
    case "elu":
      return graph.op("Elu", [x]);
  }
}

/**
 * The height and width ConvTranspose adds at the end to give back the input's size exactly (a strided
 * convolution's floor drops up to stride − 1 rows and columns).
 *
 * @param g the geometry
 * @returns `[rows, columns]`
 */
export function outputPadding(g: ConvGeometry): [number, number] {
  const span = (out: number, stride: number, kernel: number, dilation: number, pads: number) =>
    stride * (out - 1) + dilation * (kernel - 1) + 1 - pads;
  return [
    g.inHeight - span(g.outHeight, g.strideHeight, g.filterHeight, g.dilationHeight, g.padTop + g.padBottom),
    g.inWidth - span(g.outWidth, g.strideWidth, g.filterWidth, g.dilationWidth, g.padLeft + g.padRight),
  ];
}

/**
 * The inputs of a pass, in the order a session takes them.
 *
 * @param pass the pass
 * @param bias whether a forward pass adds a bias
 * @returns their names
 */
export function passInputs(pass: ConvPass, bias = false): string[] {
  if (pass === "forward") return bias ? ["x", "w", "b"] : ["x", "w"];
  return pass === "backward_data" ? ["dy", "w"] : ["x", "dy"];
}

/** The layout a pass takes its filter `w` in: TensorFlow.js's own, ONNX's, or the adjoint's (filter_layout.ts). */
export type FilterLayout = "tfjs" | "onnx" | "adjoint";

/**
 * Output pixels per output channel up to which a pass runs through the patches. The patches
 * (`pixels·taps·Ci` values) live for one run; the permuted filter (`taps·Ci·Co`) is kept as long as its
 * weights live, all of inference. At twice the channels the two take the same time (the 1024p global
 * generator's residual blocks at 64×32 with 1024 channels: 4.30 s and 4.37 s a forward pass), and the
 * patches spare 0.63 GiB of kept copies (2.87 → 2.24 GiB peak) and the first run's permutations.
 */
export const PATCH_PIXELS_PER_CHANNEL = 2;

/**
 * Whether a pass runs on the filter as TensorFlow.js keeps it, through the input's patches (im2col) and
 * one Gemm: a deep layer at a small size (the generator's residual blocks), with at most
 * {@link PATCH_PIXELS_PER_CHANNEL} output pixels per output channel.
 *
 * @param g the geometry
 * @returns true when the patches pay
 */
export function patchesPay(g: ConvGeometry): boolean {
  return g.batch * g.outHeight * g.outWidth <= PATCH_PIXELS_PER_CHANNEL * g.outChannels;
}

/**
 * Whether an input gradient runs as a Conv with the adjoint filter: stride and dilation 1, and no
 * padding past `k − 1`.
 *
 * @param g the geometry
 * @returns true when it can
 */
function adjointFits(g: ConvGeometry): boolean {
  return g.strideHeight === 1 && g.strideWidth === 1 && g.dilationHeight === 1 && g.dilationWidth === 1 &&
    Math.max(g.padTop, g.padBottom) < g.filterHeight && Math.max(g.padLeft, g.padRight) < g.filterWidth;
}

/**
 * The layout of the filter a pass takes (none for the filter gradient).
 *
 * @param pass the pass
 * @param g the geometry
 * @returns the layout
 */
export function filterLayout(pass: ConvPass, g: ConvGeometry): FilterLayout {
  if (pass === "forward") return patchesPay(g) ? "tfjs" : "onnx";
  if (pass === "backward_data" && adjointFits(g)) return patchesPay(g) ? "tfjs" : "adjoint";
  return "onnx";
}

/** The padded input's slice that each filter tap sees, `[N, Ho, Wo, Ci]` each, tap by tap. */
function tapSlices(graph: Graph, g: ConvGeometry, x: string): string[] {
  const padded = g.padTop + g.padBottom + g.padLeft + g.padRight > 0
    ? graph.op("Pad", [x, graph.vector([0, g.padTop, g.padLeft, 0, 0, g.padBottom, g.padRight, 0])])
    : x;
  const axes = graph.vector([1, 2]);
  const steps = graph.vector([g.strideHeight, g.strideWidth]);
  const slices: string[] = [];
  for (let i = 0; i < g.filterHeight; i++) {
    for (let j = 0; j < g.filterWidth; j++) {
      const top = i * g.dilationHeight, left = j * g.dilationWidth;
      const starts = graph.vector([top, left]);
      const ends = graph.vector([
        top + (g.outHeight - 1) * g.strideHeight + 1,
        left + (g.outWidth - 1) * g.strideWidth + 1,
      ]);
      slices.push(graph.op("Slice", [padded, starts, ends, axes, steps]));
    }
  }
  return slices;
}

function forward(graph: Graph, g: ConvGeometry, extras: ForwardExtras): void {
  const [, w, ...bias] = passInputs("forward", extras.bias);
  if (filterLayout("forward", g) === "tfjs") {
    const pixels = g.batch * g.outHeight * g.outWidth;
    const taps = g.filterHeight * g.filterWidth;
    const patches = graph.op("Reshape", [
      graph.op("Concat", tapSlices(graph, g, "x"), [axis(3)]),
      graph.vector([pixels, taps * g.inChannels]),
    ]);
    const filter = graph.op("Reshape", [w, graph.vector([taps * g.inChannels, g.outChannels])]);
    const y2 = activation(graph, graph.op("Gemm", [patches, filter, ...bias]), extras);
    graph.op("Reshape", [y2, graph.vector([g.batch, g.outHeight, g.outWidth, g.outChannels])], [], "y");
    return;
  }
  const xn = graph.op("Transpose", ["x"], [ints("perm", TO_NCHW)]);
  const yn = graph.op("Conv", [xn, w, ...bias], convAttributes(g));
  graph.op("Transpose", [activation(graph, yn, extras)], [ints("perm", TO_NHWC)], "y");
}

/**
 * The input gradient through the patches: `dy · wᵀ` gives each pixel's gradient for each tap's input
 * pixel, and each tap's block, padded to its place, is summed into the padded input (stride 1 only).
 */
function backwardDataByPatches(graph: Graph, g: ConvGeometry): void {
  const pixels = g.batch * g.outHeight * g.outWidth;
  const taps = g.filterHeight * g.filterWidth;
  const dy = graph.op("Reshape", ["dy", graph.vector([pixels, g.outChannels])]);
  const filter = graph.op("Reshape", ["w", graph.vector([taps * g.inChannels, g.outChannels])]);
  const perTap = graph.op("Reshape", [
    graph.op("Gemm", [dy, filter], [int("transB", 1)]),
    graph.vector([g.batch, g.outHeight, g.outWidth, taps * g.inChannels]),
  ]);
  const paddedHeight = g.inHeight + g.padTop + g.padBottom;
  const paddedWidth = g.inWidth + g.padLeft + g.padRight;
  const channelAxis = graph.vector([3]);
  const placed: string[] = [];
  for (let i = 0; i < g.filterHeight; i++) {
    for (let j = 0; j < g.filterWidth; j++) {
      const t = i * g.filterWidth + j;
      const block = graph.op("Slice", [
        perTap,
        graph.vector([t * g.inChannels]),
        graph.vector([(t + 1) * g.inChannels]),
        channelAxis,
      ]);
      const [bottom, right] = [paddedHeight - i - g.outHeight, paddedWidth - j - g.outWidth];
      placed.push(graph.op("Pad", [block, graph.vector([0, i, j, 0, 0, bottom, right, 0])]));
    }
  }
  const sum = placed.length === 1 ? placed[0] : graph.op("Sum", placed);
  graph.op(
    "Slice",
    [
      sum,
      graph.vector([g.padTop, g.padLeft]),
      graph.vector([g.padTop + g.inHeight, g.padLeft + g.inWidth]),
      graph.vector([1, 2]),
    ],
    [],
    "dx",
  );
}

function backwardData(graph: Graph, g: ConvGeometry): void {
  const layout = filterLayout("backward_data", g);
  if (layout === "tfjs") return backwardDataByPatches(graph, g);
  const dyn = graph.op("Transpose", ["dy"], [ints("perm", TO_NCHW)]);
  const [kh, kw] = [g.filterHeight - 1, g.filterWidth - 1];
  const dxn = layout === "adjoint"
    ? graph.op("Conv", [dyn, "w"], [
      ints("kernel_shape", [g.filterHeight, g.filterWidth]),
      ints("pads", [kh - g.padTop, kw - g.padLeft, kh - g.padBottom, kw - g.padRight]),
    ])
    : graph.op("ConvTranspose", [dyn, "w"], [...convAttributes(g), ints("output_padding", outputPadding(g))]);
  graph.op("Transpose", [dxn], [ints("perm", TO_NHWC)], "dx");
}

function backwardFilter(graph: Graph, g: ConvGeometry): void {
  const pixels = g.batch * g.outHeight * g.outWidth;
  const dy = graph.op("Reshape", ["dy", graph.vector([pixels, g.outChannels])]);
  const rows = graph.vector([pixels, g.inChannels]);
  const taps = tapSlices(graph, g, "x").map((slice) =>
    graph.op("Gemm", [graph.op("Reshape", [slice, rows]), dy], [int("transA", 1)])
  );
  const stacked = taps.length === 1 ? taps[0] : graph.op("Concat", taps, [axis(0)]);
  graph.op(
    "Reshape",
    [
      stacked,
      graph.vector([g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]),
    ],
    [],
    "dw",
  );
}

/** The shape of a filter in a layout. */
function filterShape(layout: FilterLayout, g: ConvGeometry): number[] {
  const [kh, kw, ci, co] = [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels];
  return layout === "tfjs" ? [kh, kw, ci, co] : layout === "onnx" ? [co, ci, kh, kw] : [ci, co, kh, kw];
}

/** The shapes of a pass's inputs and output, by name. */
export function passShapes(pass: ConvPass, g: ConvGeometry, bias = false): Record<string, number[]> {
  const x = [g.batch, g.inHeight, g.inWidth, g.inChannels];
  const y = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  if (pass === "backward_filter") return { x, dy: y, dw: filterShape("tfjs", g) };
  const w = filterShape(filterLayout(pass, g), g);
  if (pass === "forward") return { x, w, ...(bias ? { b: [g.outChannels] } : {}), y };
  return { dy: y, w, dx: x };
}

/** The output's name of each pass. */
export const PASS_OUTPUT: Readonly<Record<ConvPass, string>> = {
  forward: "y",
  backward_data: "dx",
  backward_filter: "dw",
};

/**
 * The ONNX model of one pass.
 *
 * @param pass which pass
 * @param g the geometry
 * @param extras the forward pass's bias and activation (ignored by the others)
 * @returns the `.onnx` bytes
 */
export function convPassModel(
  pass: ConvPass,
  g: ConvGeometry,
  extras: ForwardExtras = { bias: false, activation: "linear", leakyreluAlpha: 0.2 },
): Uint8Array {
  const graph = new Graph();
  if (pass === "forward") forward(graph, g, extras);
  else if (pass === "backward_data") backwardData(graph, g);
  else backwardFilter(graph, g);
  const inputs = passInputs(pass, extras.bias);
  const shapes = passShapes(pass, g, extras.bias);
  const output = PASS_OUTPUT[pass];
  return encodeOnnxModel({
    opset: OPSET,
    producer: "pix2pixhd-deno",
    producerVersion: "1",
    doc: `${pass} convolution`,
    graphName: pass,
    nodes: graph.nodes,
    initializers: graph.initializers,
    inputs: inputs.map((name) => ({ name, type: "float", shape: shapes[name] })),
    outputs: [{ name: output, type: "float", shape: shapes[output] }],
    metadata: {},
  });
}
