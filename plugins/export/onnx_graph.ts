/**
 * Building an ONNX graph from a state_dict: each initializer is a tensor of the checkpoint under its
 * official name (`model.1.weight`), and a builder adds nodes with fresh output names. The builder
 * remembers which tensors the graph used, so a checkpoint with tensors the architecture does not
 * explain is an error rather than a silently different model.
 *
 * @module
 */
import { CheckpointError } from "../../kernel/errors.ts";
import { type NdArray, toFloat32 } from "../../formats/ndarray.ts";
import { float32Bytes, OnnxGraph } from "../../formats/onnx_graph.ts";

/** A state_dict in PyTorch layout, by official parameter name. */
export type StateDict = ReadonlyMap<string, NdArray>;

/** A graph over a checkpoint's weights (formats/onnx_graph.ts adds the nodes and constants). */
export class OnnxGraphBuilder extends OnnxGraph {
  readonly #sd: StateDict;
  readonly #file: string;
  readonly #used = new Set<string>();

  /**
   * @param sd the checkpoint's tensors
   * @param file the checkpoint, named in errors
   */
  constructor(sd: StateDict, file: string) {
    super();
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
