/**
 * The parameter store every network is built on. Parameters are `tf.Variable`s keyed by the official
 * PyTorch state_dict names (`model.1.weight`, `scale0_layer0.0.weight`, …) and kept in TensorFlow.js
 * layout; `loadStateDict` / `stateDict` convert from / to PyTorch layout. Batch-norm running statistics
 * are buffers: saved and loaded like parameters, never trained.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import { Rng } from "../../kernel/random.ts";
import { type NdArray, toFloat32 } from "../../formats/ndarray.ts";

/** How a tensor is laid out: 4-D kernels are transposed between PyTorch and TensorFlow.js. */
export type ParamLayout = "kernel" | "vector" | "count";

interface Entry {
  variable: tf.Variable;
  layout: ParamLayout;
}

/** tfjs [kh, kw, in, out] (conv) or [kh, kw, out, in] (conv-transpose) → torch [out, in, kh, kw] / [in, out, kh, kw]. */
const TO_TORCH = [3, 2, 0, 1];
/** The inverse permutation: torch → tfjs, the same for conv and conv-transpose. */
const FROM_TORCH = [2, 3, 1, 0];

let moduleCount = 0;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function torchShape(shape: readonly number[], layout: ParamLayout): number[] {
  return layout === "kernel" ? TO_TORCH.map((axis) => shape[axis]) : [...shape];
}

/**
 * Permutes the axes of a 4-D C-order array (a plain loop: tfjs's cpu transpose is ~100× slower).
 *
 * @param src the values
 * @param shape their shape
 * @param perm output axis k is input axis perm[k]
 * @returns the permuted values, in a new array
 */
export function permute4d(
  src: ArrayLike<number>,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const strides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const [o0, o1, o2, o3] = perm.map((axis) => shape[axis]);
  const [t0, t1, t2, t3] = perm.map((axis) => strides[axis]);
  const out = new Float32Array(src.length);
  let i = 0;
  for (let a = 0; a < o0; a++) {
    for (let b = 0; b < o1; b++) {
      for (let c = 0; c < o2; c++) {
        const base = a * t0 + b * t1 + c * t2;
        for (let d = 0; d < o3; d++) out[i++] = src[base + d * t3];
      }
    }
  }
  return out;
}

function listFew(names: string[]): string {
  return names.slice(0, 5).join(", ") + (names.length > 5 ? ` and ${names.length - 5} more` : "");
}

/**
 * A network's parameters and buffers, with PyTorch-compatible names, seeded initialisation and
 * state_dict conversion. Networks extend it and register their layers' tensors in construction order.
 */
export class Module {
  readonly #params = new Map<string, Entry>();
  readonly #buffers = new Map<string, Entry>();
  readonly #rng: Rng;
  readonly #id = ++moduleCount;
  /** Training mode: batch-norm layers update their running statistics (PyTorch's `module.training`). */
  training = true;

  /** @param seed seeds every random initialisation, so the same seed gives the same weights */
  constructor(seed: number) {
    this.#rng = new Rng(seed);
  }

  /**
   * Registers a trainable parameter.
   *
   * @param name official PyTorch state_dict name
   * @param layout "kernel" for 4-D conv weights (stored in tfjs layout), "vector" otherwise
   * @param init makes the initial value (runs once; its tensor is owned by the variable)
   * @returns the variable
   * @throws {Error} when the name is already registered (a network-building bug)
   */
  addParam(name: string, layout: ParamLayout, init: () => tf.Tensor): tf.Variable {
    return this.#add(this.#params, name, layout, init, true);
  }

  /**
   * Registers a buffer: saved and loaded with the parameters, not trained (batch-norm statistics).
   *
   * @param name official PyTorch state_dict name
   * @param layout "vector" for float buffers, "count" for an int64 counter
   * @param init makes the initial value
   * @returns the variable
   */
  addBuffer(name: string, layout: ParamLayout, init: () => tf.Tensor): tf.Variable {
    return this.#add(this.#buffers, name, layout, init, false);
  }

  #add(
    into: Map<string, Entry>,
    name: string,
    layout: ParamLayout,
    init: () => tf.Tensor,
    trainable: boolean,
  ): tf.Variable {
    if (this.#params.has(name) || this.#buffers.has(name)) {
      throw new Error(`parameter ${name} registered twice`);
    }
    const value = init();
    const variable = tf.variable(value, trainable, `m${this.#id}/${name}`);
    value.dispose();
    into.set(name, { variable, layout });
    return variable;
  }

  /**
   * N(mean, std) values from the module's seeded source (the official `weights_init`).
   *
   * @param shape tensor shape
   * @param mean the mean
   * @param std the standard deviation
   * @returns a new tensor
   */
  normal(shape: number[], mean: number, std: number): tf.Tensor {
    return tf.randomNormal(shape, mean, std, "float32", this.#rng.seed());
  }

  /**
   * U(-bound, bound) values from the module's seeded source (PyTorch's default bias init).
   *
   * @param shape tensor shape
   * @param bound half-width of the interval
   * @returns a new tensor
   */
  uniform(shape: number[], bound: number): tf.Tensor {
    return tf.randomUniform(shape, -bound, bound, "float32", this.#rng.seed());
  }

  /**
   * The trainable parameters, by official name, in registration order.
   *
   * @returns a new map over the live variables
   */
  params(): Map<string, tf.Variable> {
    return new Map([...this.#params].map(([name, e]) => [name, e.variable]));
  }

  /**
   * The buffers (batch-norm running statistics), by official name.
   *
   * @returns a new map over the live variables
   */
  buffers(): Map<string, tf.Variable> {
    return new Map([...this.#buffers].map(([name, e]) => [name, e.variable]));
  }

  #entries(): Map<string, Entry> {
    return new Map([...this.#params, ...this.#buffers]);
  }

  /**
   * Copies a PyTorch state_dict into the network. Checks everything before changing anything.
   *
   * @param sd tensors by official name, in PyTorch layout (any float dtype; converted to float32)
   * @param file the checkpoint path, named in errors
   * @throws {CheckpointError} naming the first tensor whose shape differs (both shapes), and the
   *   missing and unexpected names
   */
  loadStateDict(sd: Map<string, NdArray>, file: string): void {
    const entries = this.#entries();
    const missing = [...entries.keys()].filter((name) => !sd.has(name));
    const unexpected = [...sd.keys()].filter((name) => !entries.has(name));
    const problems: string[] = [];
    for (const [name, entry] of entries) {
      const array = sd.get(name);
      if (!array) continue;
      const want = torchShape(entry.variable.shape, entry.layout);
      if (shapeText(array.shape) !== shapeText(want)) {
        problems.push(
          `${name} has shape ${shapeText(array.shape)} in the checkpoint but ${
            shapeText(want)
          } in this network`,
        );
        break;
      }
    }
    if (missing.length) problems.push(`missing ${missing.length} tensor(s): ${listFew(missing)}`);
    if (unexpected.length) problems.push(`unexpected ${unexpected.length} tensor(s): ${listFew(unexpected)}`);
    if (problems.length) {
      throw new CheckpointError(file, `does not fit this network: ${problems.join("; ")}`);
    }
    for (const [name, entry] of entries) {
      const array = sd.get(name) as NdArray;
      const values = entry.layout === "kernel"
        ? permute4d(toFloat32(array), array.shape, FROM_TORCH)
        : toFloat32(array);
      tf.tidy(() => {
        const t = tf.tensor(values, entry.variable.shape, "float32");
        entry.variable.assign(entry.layout === "count" ? tf.cast(t, "int32") : t);
      });
    }
  }

  /**
   * The parameters and buffers in PyTorch layout, by official name, ready to save.
   *
   * @returns new arrays (copies); float32, except int64 batch counters
   */
  stateDict(): Map<string, NdArray> {
    const out = new Map<string, NdArray>();
    for (const [name, entry] of this.#entries()) {
      const shape = torchShape(entry.variable.shape, entry.layout);
      if (entry.layout === "count") {
        const values = entry.variable.dataSync();
        out.set(name, { shape, dtype: "int64", data: BigInt64Array.from(values, (v) => BigInt(v)) });
        continue;
      }
      const values = entry.variable.dataSync();
      const data = entry.layout === "kernel"
        ? permute4d(values, entry.variable.shape, TO_TORCH)
        : Float32Array.from(values);
      out.set(name, { shape, dtype: "float32", data });
    }
    return out;
  }

  /** Frees every parameter and buffer. The network cannot be used afterwards. */
  dispose(): void {
    for (const entry of this.#entries().values()) entry.variable.dispose();
    this.#params.clear();
    this.#buffers.clear();
  }
}
