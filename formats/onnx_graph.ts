/**
 * Building an ONNX graph: nodes in the order they are added (topological when each node's inputs
 * exist), fresh output names, and constants added once per name. The exporter's builder
 * (plugins/export/onnx_graph.ts) adds a checkpoint's weights on top; the onnxruntime kernels
 * (backends/ort/) build their small models with it directly.
 *
 * @module
 */
import { elementCount } from "./ndarray.ts";
import type { OnnxAttribute, OnnxNode, OnnxTensor } from "./onnx_proto.ts";

/**
 * The bytes of a float32 array, in place.
 *
 * @param values the array
 * @returns a byte view of the same memory
 */
export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * An integer-list attribute.
 *
 * @param name the attribute
 * @param value its integers
 * @returns the attribute
 */
export function ints(name: string, value: readonly number[]): OnnxAttribute {
  return { name, kind: "ints", value };
}

/**
 * An integer attribute.
 *
 * @param name the attribute
 * @param value its integer
 * @returns the attribute
 */
export function int(name: string, value: number): OnnxAttribute {
  return { name, kind: "int", value };
}

/** The nodes and initializers of one graph. */
export class OnnxGraph {
  /** The nodes, in the order they were added. */
  readonly nodes: OnnxNode[] = [];
  /** The constant tensors. */
  readonly initializers: OnnxTensor[] = [];
  readonly #constants = new Set<string>();
  #count = 0;

  /**
   * A float constant (added once per name).
   *
   * @param name its name
   * @param dims its dims
   * @param fill its elements (one value repeated, or all of them)
   * @returns the name
   */
  floats(name: string, dims: readonly number[], fill: number | readonly number[]): string {
    if (!this.#constants.has(name)) {
      this.#constants.add(name);
      const values = typeof fill === "number"
        ? new Float32Array(elementCount([...dims])).fill(fill)
        : Float32Array.from(fill);
      this.initializers.push({ name, dims, type: "float", raw: float32Bytes(values) });
    }
    return name;
  }

  /**
   * An int64 vector constant (added once per name).
   *
   * @param name its name
   * @param values its elements
   * @returns the name
   */
  int64s(name: string, values: readonly number[]): string {
    if (!this.#constants.has(name)) {
      this.#constants.add(name);
      const data = BigInt64Array.from(values, (v) => BigInt(v));
      this.initializers.push({
        name,
        dims: [values.length],
        type: "int64",
        raw: new Uint8Array(data.buffer),
      });
    }
    return name;
  }

  /**
   * Adds a node with one output.
   *
   * @param op the operator
   * @param inputs its inputs' names
   * @param attributes its attributes
   * @param output the output's name (default: a fresh one)
   * @returns the output's name
   */
  op(
    op: string,
    inputs: readonly string[],
    attributes: readonly OnnxAttribute[] = [],
    output?: string,
  ): string {
    return this.opN(op, inputs, 1, attributes, output ? [output] : undefined)[0];
  }

  /**
   * Adds a node with several outputs.
   *
   * @param op the operator
   * @param inputs its inputs' names
   * @param count how many outputs
   * @param attributes its attributes
   * @param outputs the outputs' names (default: fresh ones)
   * @returns the outputs' names
   */
  opN(
    op: string,
    inputs: readonly string[],
    count: number,
    attributes: readonly OnnxAttribute[] = [],
    outputs?: readonly string[],
  ): string[] {
    const id = this.#count++;
    const names = outputs ? [...outputs] : Array.from({ length: count }, (_, i) => `${op}_${id}_${i}`);
    this.nodes.push({ op, name: `${op}_${id}`, inputs, outputs: names, attributes });
    return names;
  }
}
