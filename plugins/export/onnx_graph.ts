/**
 * Building an ONNX graph from a state_dict: each initializer is a tensor of the checkpoint under its
 * official name (`model.1.weight`), and a builder adds nodes with fresh output names. The builder
 * remembers which tensors the graph used, so a checkpoint with tensors the architecture does not
 * explain is an error rather than a silently different model.
 *
 * @module
 */
import { CheckpointError } from "../../kernel/errors.ts";
import { elementCount, type NdArray, toFloat32 } from "../../formats/ndarray.ts";
import type { OnnxAttribute, OnnxNode, OnnxTensor } from "../../formats/onnx_proto.ts";

/** A state_dict in PyTorch layout, by official parameter name. */
export type StateDict = ReadonlyMap<string, NdArray>;

function float32Bytes(values: Float32Array): Uint8Array {
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

/** Collects the nodes and initializers of one graph. */
export class OnnxGraphBuilder {
  /** The nodes, in topological order (the order they were added). */
  readonly nodes: OnnxNode[] = [];
  /** The constant tensors. */
  readonly initializers: OnnxTensor[] = [];
  readonly #sd: StateDict;
  readonly #file: string;
  readonly #used = new Set<string>();
  readonly #constants = new Set<string>();
  #count = 0;

  /**
   * @param sd the checkpoint's tensors
   * @param file the checkpoint, named in errors
   */
  constructor(sd: StateDict, file: string) {
    this.#sd = sd;
    this.#file = file;
  }

  /**
   * A checkpoint tensor as a float initializer under its own name.
   *
   * @param name its official name
   * @param shape the shape the architecture expects
   * @param dims the initializer's dims when they differ from `shape` (same element count, e.g. [1, C, 1, 1])
   * @returns the initializer's name
   * @throws {CheckpointError} when the tensor is missing or has another shape
   */
  weight(name: string, shape: readonly number[], dims: readonly number[] = shape): string {
    const array = this.#sd.get(name);
    if (!array) throw new CheckpointError(this.#file, `expected tensor ${name} is missing`);
    if (array.shape.length !== shape.length || array.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        this.#file,
        `${name} has shape [${array.shape.join(", ")}], the architecture expects [${shape.join(", ")}]`,
      );
    }
    if (!this.#used.has(name)) {
      this.#used.add(name);
      this.initializers.push({ name, dims, type: "float", raw: float32Bytes(toFloat32(array)) });
    }
    return name;
  }

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

  /**
   * Checks that every checkpoint tensor the graph needs was used.
   *
   * @param ignore tensors the graph has no use for (e.g. batch norm running statistics)
   * @throws {CheckpointError} naming the first unused tensors
   */
  checkAllUsed(ignore: (name: string) => boolean): void {
    const unused = [...this.#sd.keys()].filter((name) => !this.#used.has(name) && !ignore(name));
    if (unused.length) {
      throw new CheckpointError(
        this.#file,
        `has tensors this architecture does not use: ${unused.slice(0, 5).join(", ")}${
          unused.length > 5 ? ` and ${unused.length - 5} more` : ""
        }`,
      );
    }
  }
}
