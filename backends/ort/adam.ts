/**
 * Adam's update on onnxruntime, with the moments outside the wasm heap: one session (its vectors of
 * any length) runs TensorFlow.js's own sequence of float32 operations (plugins/optim/adam.ts),
 *
 *   m ← m·β1 + g·(1-β1)
 *   v ← v·β2 + (g·g)·(1-β2)
 *   p' ← p − (m / (√v / √(1-β2^t) + eps)) · lr/(1-β1^t)
 *
 * on onnxruntime's threads, writing the moments back in place (each is read before it is written).
 * A parameter is updated chunk by chunk (`ADAM_CHUNK`, backends/native_adam.ts) so that the passes re-read it from the
 * cache. The moments live in JS memory, so a large generator's Adam state does not count against the
 * wasm heap's 4 GiB.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { tf } from "../tf.ts";
import { encodeOnnxModel } from "../../formats/onnx_proto.ts";
import { OnnxGraph } from "../../formats/onnx_graph.ts";
import { heapPointers, isWasmBackend } from "../wasm/heap.ts";
import { floatsOn } from "../wasm/kernel_support.ts";
import { ADAM_CHUNK, type AdamConstants, type NativeAdam } from "../native_adam.ts";
import type { OrtC, OrtCSession } from "./capi.ts";

/**
 * The update as an ONNX model over vectors of any length `n`: inputs p, g, m, v and the step's
 * √(1-β2^t) and lr/(1-β1^t); outputs the new p, m and v.
 *
 * @param c β1, β2, eps
 * @returns the `.onnx` bytes
 */
export function adamModel(c: AdamConstants): Uint8Array {
  const g = new OnnxGraph();
  const scalar = (name: string, value: number) => g.floats(name, [1], value);
  const [beta1, beta2] = [scalar("beta1", c.beta1), scalar("beta2", c.beta2)];
  const [rest1, rest2] = [scalar("one_minus_beta1", 1 - c.beta1), scalar("one_minus_beta2", 1 - c.beta2)];
  g.op("Add", [g.op("Mul", ["m", beta1]), g.op("Mul", ["g", rest1])], [], "m2");
  g.op("Add", [g.op("Mul", ["v", beta2]), g.op("Mul", [g.op("Mul", ["g", "g"]), rest2])], [], "v2");
  const denom = g.op("Add", [g.op("Div", [g.op("Sqrt", ["v2"]), "bc2_sqrt"]), scalar("eps", c.eps)]);
  g.op("Sub", ["p", g.op("Mul", [g.op("Div", ["m2", denom]), "step_size"])], [], "p2");
  const vector = (name: string) => ({ name, type: "float" as const, shape: ["n"] });
  return encodeOnnxModel({
    opset: 17,
    producer: "pix2pixhd-deno",
    producerVersion: "1",
    doc: "Adam's update",
    graphName: "adam",
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [
      ...["p", "g", "m", "v"].map(vector),
      { name: "bc2_sqrt", type: "float", shape: [1] },
      { name: "step_size", type: "float", shape: [1] },
    ],
    outputs: ["p2", "m2", "v2"].map(vector),
    metadata: {},
  });
}

/** Adam's moments of named parameters and their update on onnxruntime. */
export class OrtAdam implements NativeAdam {
  /** One session for every chunk length (the model's vectors have a free length). */
  readonly #session: OrtCSession;
  readonly #m = new Map<string, Float32Array<ArrayBuffer>>();
  readonly #v = new Map<string, Float32Array<ArrayBuffer>>();
  /** √(1-β2^t) and lr/(1-β1^t) of the current step. */
  readonly #scalars = new Float32Array(2);

  /**
   * @param ort onnxruntime's C API
   * @param constants β1, β2, eps
   * @param sizes element count per parameter name (moments start at zero)
   * @throws {BackendError} when onnxruntime rejects the model
   */
  constructor(ort: OrtC, constants: AdamConstants, sizes: ReadonlyMap<string, number>) {
    const vector = (name: string) => ({ name, shape: [-1] });
    this.#session = ort.session(
      adamModel(constants),
      [...["p", "g", "m", "v"].map(vector), { name: "bc2_sqrt", shape: [1] }, {
        name: "step_size",
        shape: [1],
      }],
      ["p2", "m2", "v2"].map(vector),
    );
    for (const [name, size] of sizes) {
      this.#m.set(name, new Float32Array(size));
      this.#v.set(name, new Float32Array(size));
    }
  }

  /**
   * The moments of a parameter, live.
   *
   * @param name parameter name
   * @returns first and second moments
   * @throws {RangeError} for an unknown name
   */
  moments(name: string): { m: Float32Array; v: Float32Array } {
    const m = this.#m.get(name), v = this.#v.get(name);
    if (!m || !v) throw new RangeError(`Adam (onnxruntime): no parameter named ${name}`);
    return { m, v };
  }

  /**
   * One Adam step of one parameter: updates its moments and assigns the new value to it.
   *
   * @param name parameter name
   * @param param the parameter (float32, on the wasm backend)
   * @param grad its gradient (same shape)
   * @param stepSize lr / (1-β1^t)
   * @param bc2 1-β2^t
   * @throws {BackendError} when the tensors are not float32 on the wasm backend
   * @throws {RangeError} when the sizes disagree
   */
  step(name: string, param: tf.Variable, grad: tf.Tensor, stepSize: number, bc2: number): void {
    const backend = tf.backend();
    if (!isWasmBackend(backend) || param.dtype !== "float32" || grad.dtype !== "float32") {
      throw new BackendError("ort", `Adam (onnxruntime) needs float32 tensors on the wasm backend (${name})`);
    }
    const m = this.#m.get(name), v = this.#v.get(name);
    const n = param.size;
    if (!m || !v || m.length !== n || grad.size !== n) {
      throw new RangeError(
        `Adam (onnxruntime): ${name} has ${n} elements, its moments ${m?.length}, its gradient ${grad.size}`,
      );
    }
    const out = backend.makeOutput([...param.shape], "float32");
    if (n > 0) {
      this.#scalars[0] = Math.sqrt(bc2);
      this.#scalars[1] = stepSize;
      // pointers into the heap after the allocation: it may have grown (and moved) for it
      const [pPtr, gPtr, outPtr] = heapPointers(backend, [param.dataId, grad.dataId, out.dataId]);
      const [mPtr, vPtr] = [Deno.UnsafePointer.of(m), Deno.UnsafePointer.of(v)];
      const bc2Sqrt = Deno.UnsafePointer.of(this.#scalars);
      const step = floatsOn(bc2Sqrt, 1);
      for (let start = 0; start < n; start += ADAM_CHUNK) {
        const [p, g, mAt, vAt, o] = [pPtr, gPtr, mPtr, vPtr, outPtr].map((x) => floatsOn(x, start));
        this.#session.run([p, g, mAt, vAt, bc2Sqrt, step], [o, mAt, vAt], Math.min(ADAM_CHUNK, n - start));
      }
    }
    const updated = tf.engine().makeTensorFromTensorInfo(out);
    param.assign(updated);
    updated.dispose();
  }

  /** Frees the session (the moments are garbage-collected). */
  dispose(): void {
    this.#session.release();
  }
}
