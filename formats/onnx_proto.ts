/**
 * The parts of ONNX's protobuf schema (onnx/onnx.proto, IR version 8) that a feed-forward model
 * needs — ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto — as plain
 * objects, and their encoding with the field numbers the schema gives them.
 *
 * @module
 */
import { ProtoWriter } from "./protobuf.ts";

/** The IR version of opset 17 (ONNX 1.12). */
export const IR_VERSION = 8;

/** Element types used here, with their TensorProto.DataType codes. */
export const ELEMENT_TYPES = { float: 1, int64: 7 } as const;
/** An element type name. */
export type ElementType = keyof typeof ELEMENT_TYPES;

/** A constant tensor (an initializer): little-endian raw bytes in C order. */
export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  type: ElementType;
  raw: Uint8Array;
}

/** A node attribute. */
export type OnnxAttribute =
  | { name: string; kind: "int"; value: number }
  | { name: string; kind: "ints"; value: readonly number[] }
  | { name: string; kind: "float"; value: number }
  | { name: string; kind: "string"; value: string };

/** One operator application. */
export interface OnnxNode {
  op: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly OnnxAttribute[];
}

/** A graph input or output: name, element type and shape (a number, or a name for a dynamic axis). */
export interface OnnxValueInfo {
  name: string;
  type: ElementType;
  shape: readonly (number | string)[];
  doc?: string;
}

/** A whole model. */
export interface OnnxModel {
  opset: number;
  producer: string;
  producerVersion: string;
  doc: string;
  graphName: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  /** ModelProto.metadata_props: free-form string pairs. */
  metadata: Readonly<Record<string, string>>;
}

/** AttributeProto.AttributeType codes. */
const ATTRIBUTE_TYPES = { float: 1, int: 2, string: 3, ints: 7 } as const;

function attribute(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if (a.kind === "float") w.float(2, a.value);
  else if (a.kind === "int") w.int(3, a.value);
  else if (a.kind === "string") w.string(4, a.value);
  else for (const v of a.value) w.int(8, v);
  return w.int(20, ATTRIBUTE_TYPES[a.kind]);
}

function node(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of n.inputs) w.string(1, input);
  for (const output of n.outputs) w.string(2, output);
  w.string(3, n.name).string(4, n.op);
  for (const a of n.attributes) w.message(5, attribute(a));
  return w;
}

function tensor(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  return w.int(2, ELEMENT_TYPES[t.type]).string(8, t.name).bytes(9, t.raw);
}

function valueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, ELEMENT_TYPES[v.type]).message(2, shape);
  const w = new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
  if (v.doc) w.string(3, v.doc);
  return w;
}

/**
 * Encodes a model as an ONNX file.
 *
 * @param m the model
 * @returns the `.onnx` file's bytes
 */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of m.nodes) graph.message(1, node(n));
  graph.string(2, m.graphName);
  for (const t of m.initializers) graph.message(5, tensor(t));
  for (const v of m.inputs) graph.message(11, valueInfo(v));
  for (const v of m.outputs) graph.message(12, valueInfo(v));
  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, m.producer)
    .string(3, m.producerVersion)
    .string(6, m.doc)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata)) {
    model.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return model.finish();
}
