/**
 * ONNX export (opset 17) of the generators — global, or local with any number of enhancers — and of
 * the feature encoder, from a state_dict and the architecture read from it (`plugins/networks/infer.ts`).
 *
 * - Generator: input `input` [batch, input_nc, height, width] float32 NCHW — one-hot labels, then the
 *   boundary channel, then the instance-wise features, as the official generator takes them; output
 *   `image` [batch, output_nc, height, width] in [-1, 1]. Height and width are dynamic; each must be a
 *   multiple of 2^(n_downsample_global + n_local_enhancers), as for the PyTorch model.
 * - Encoder: inputs `image` [1, input_nc, height, width] (the real photo in [-1, 1]) and `inst`
 *   [1, 1, height, width] (instance ids as floats); output `features` [1, feat_num, height, width], the
 *   mean of the encoder's output over each instance's pixels, as the official `Encoder.forward`.
 *
 * @module
 */
import type { InferredGenerator } from "../networks/infer.ts";
import { encoderLayout, type EncoderOptions } from "../networks/encoder.ts";
import type { GlobalLayersConfig } from "../networks/global_generator.ts";
import { OnnxGraphBuilder, type StateDict } from "./onnx_graph.ts";
import { int } from "../../formats/onnx_graph.ts";
import {
  conv2d,
  convTranspose2d,
  downsample,
  norm,
  type OnnxLayer,
  pad,
  relu,
  resnetBlock,
  sequential,
  tanh,
} from "./onnx_layers.ts";
import { encodeOnnxModel, type OnnxModel, type OnnxValueInfo } from "../../formats/onnx_proto.ts";

/** The opset the exported models use. */
export const OPSET = 17;

/** Tensors of a state_dict that the graph has no use for: batch norm's running statistics. */
const isRunningStat = (name: string) => /\.(running_mean|running_var|num_batches_tracked)$/.test(name);

/**
 * The official `GlobalGenerator.model` layer list as ONNX layers (mirrors `globalLayers`).
 *
 * @param o the architecture
 * @param withOutputLayers false drops the final ReflectPad3, Conv7×7 and Tanh (the local enhancer's global part)
 * @returns the layers in official index order
 */
export function globalOnnxLayers(o: GlobalLayersConfig, withOutputLayers: boolean): OnnxLayer[] {
  const { ngf, norm: n } = o;
  const layers: OnnxLayer[] = [pad("reflect", 3), conv2d(o.input_nc, ngf, 7), norm(n, ngf), relu];
  for (let i = 0; i < o.n_downsample_global; i++) {
    const c = ngf * 2 ** i;
    layers.push(conv2d(c, 2 * c, 3, { stride: 2, padding: 1 }), norm(n, 2 * c), relu);
  }
  const deepest = ngf * 2 ** o.n_downsample_global;
  for (let i = 0; i < o.n_blocks_global; i++) layers.push(resnetBlock(deepest, o.padding_type, n));
  for (let i = 0; i < o.n_downsample_global; i++) {
    const c = ngf * 2 ** (o.n_downsample_global - i);
    layers.push(convTranspose2d(c, c / 2), norm(n, c / 2), relu);
  }
  if (withOutputLayers) layers.push(pad("reflect", 3), conv2d(ngf, o.output_nc, 7), tanh);
  return layers;
}

/** The generator's graph: its output for input `x` (mirrors GlobalGenerator and LocalEnhancer). */
function generatorGraph(g: OnnxGraphBuilder, arch: InferredGenerator, x: string): string {
  if (arch.netG === "global") return sequential(g, x, "model", globalOnnxLayers(arch.options, true));
  const o = arch.options;
  const { ngf, n_local_enhancers: count, norm: n } = o;
  const levels = [x];
  for (let i = 0; i < count; i++) levels.push(downsample(g, levels[i]));
  const globalConfig = { ...o, ngf: ngf * 2 ** count, padding_type: "reflect" as const };
  let output = sequential(g, levels[count], "model", globalOnnxLayers(globalConfig, false));
  for (let e = 1; e <= count; e++) {
    const c = ngf * 2 ** (count - e);
    const front = sequential(g, levels[count - e], `model${e}_1`, [
      pad("reflect", 3),
      conv2d(o.input_nc, c, 7),
      norm(n, c),
      relu,
      conv2d(c, 2 * c, 3, { stride: 2, padding: 1 }),
      norm(n, 2 * c),
      relu,
    ]);
    const back: OnnxLayer[] = [];
    for (let i = 0; i < o.n_blocks_local; i++) back.push(resnetBlock(2 * c, o.padding_type, n));
    back.push(convTranspose2d(2 * c, c), norm(n, c), relu);
    if (e === count) back.push(pad("reflect", 3), conv2d(ngf, o.output_nc, 7), tanh);
    output = sequential(g, g.op("Add", [front, output]), `model${e}_2`, back);
  }
  return output;
}

/** What the exported model says about itself. */
export interface OnnxDescription {
  /** One paragraph on the inputs and outputs (ModelProto.doc_string). */
  doc: string;
  /** Free-form pairs (ModelProto.metadata_props), e.g. the architecture as JSON. */
  metadata: Record<string, string>;
}

function model(
  g: OnnxGraphBuilder,
  name: string,
  inputs: OnnxValueInfo[],
  outputs: OnnxValueInfo[],
  description: OnnxDescription,
): Uint8Array {
  g.checkAllUsed(isRunningStat);
  const m: OnnxModel = {
    opset: OPSET,
    producer: "pix2pixhd-deno",
    producerVersion: "1",
    doc: description.doc,
    graphName: name,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs,
    outputs,
    metadata: description.metadata,
  };
  return encodeOnnxModel(m);
}

/**
 * Encodes a generator as an ONNX model.
 *
 * @param arch the architecture (from `inferGenerator`)
 * @param sd its state_dict
 * @param file the checkpoint, named in errors
 * @param description the doc string and metadata to store
 * @returns the `.onnx` file's bytes
 * @throws {CheckpointError} when a tensor is missing, has another shape, or is not used by the architecture
 */
export function generatorToOnnx(
  arch: InferredGenerator,
  sd: StateDict,
  file: string,
  description: OnnxDescription,
): Uint8Array {
  const g = new OnnxGraphBuilder(sd, file);
  const o = arch.options;
  g.op("Identity", [generatorGraph(g, arch, "input")], [], "image");
  return model(
    g,
    `pix2pixHD_${arch.netG}_generator`,
    [{
      name: "input",
      type: "float",
      shape: ["batch", o.input_nc, "height", "width"],
      doc: "one-hot labels + boundary + features, NCHW",
    }],
    [{
      name: "image",
      type: "float",
      shape: ["batch", o.output_nc, "height", "width"],
      doc: "image in [-1, 1], NCHW",
    }],
    description,
  );
}

/** The per-instance means of `features` [1, C, H, W] over the instance ids in `inst` [1, 1, H, W]. */
function instanceMeans(g: OnnxGraphBuilder, features: string, inst: string, channels: number): string {
  const flat = g.op("Reshape", [features, g.int64s(`shape_${channels}_rest`, [channels, -1])]);
  const ids = g.op("Reshape", [inst, g.int64s("shape_rest", [-1])]);
  const [, , inverse, counts] = g.opN("Unique", [ids], 4, [int("sorted", 1)]);
  const spread = g.op("Expand", [
    g.op("Unsqueeze", [inverse, g.int64s("axis_0", [0])]),
    g.op("Shape", [flat]),
  ]);
  const sumsShape = g.op("Concat", [g.int64s(`dim_${channels}`, [channels]), g.op("Shape", [counts])], [
    int("axis", 0),
  ]);
  const zeros = g.op("Expand", [g.floats("zero_1x1", [1, 1], 0), sumsShape]);
  const sums = g.op("ScatterElements", [zeros, spread, flat], [
    int("axis", 1),
    { name: "reduction", kind: "string", value: "add" },
  ]);
  const means = g.op("Div", [sums, g.op("Cast", [counts], [int("to", 1)])]);
  return g.op(
    "Reshape",
    [g.op("Gather", [means, inverse], [int("axis", 1)]), g.op("Shape", [features])],
    [],
    "features",
  );
}

/**
 * Encodes a feature encoder as an ONNX model (its per-instance averaging included).
 *
 * @param o the architecture (from `inferEncoder`)
 * @param sd its state_dict
 * @param file the checkpoint, named in errors
 * @param description the doc string and metadata to store
 * @returns the `.onnx` file's bytes
 * @throws {CheckpointError} when a tensor is missing, has another shape, or is not used by the architecture
 */
export function encoderToOnnx(
  o: Omit<EncoderOptions, "seed">,
  sd: StateDict,
  file: string,
  description: OnnxDescription,
): Uint8Array {
  const g = new OnnxGraphBuilder(sd, file);
  const layers = globalOnnxLayers(encoderLayout(o), true);
  instanceMeans(g, sequential(g, "image", "model", layers), "inst", o.feat_num);
  return model(
    g,
    "pix2pixHD_encoder",
    [
      {
        name: "image",
        type: "float",
        shape: [1, o.input_nc, "height", "width"],
        doc: "real image in [-1, 1], NCHW",
      },
      { name: "inst", type: "float", shape: [1, 1, "height", "width"], doc: "instance ids" },
    ],
    [{
      name: "features",
      type: "float",
      shape: [1, o.feat_num, "height", "width"],
      doc: "per-instance mean features",
    }],
    description,
  );
}
