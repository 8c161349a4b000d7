/**
 * Adam's update on oneDNN, with the moments outside the wasm heap. Per parameter, three passes of
 * oneDNN's binary primitive (vectorised, multi-threaded) replace TensorFlow.js's dozen kernels with a
 * temporary each:
 *
 *   m ← β1·m + (1-β1)·g                     binary add, scales β1 and 1-β1, in place
 *   v ← β2·v + (1-β2)·g·g                   binary mul, scale 1-β2, sum post-op β2 into v
 *   p' ← p + m · 1/(√(v · 1/(1-β2^t)) + eps) · (-lr/(1-β1^t))
 *                                           binary mul of v by a scalar, then post-ops: sqrt, + eps,
 *                                           reciprocal (pow -1, exact), mul by m, by a scalar, add p
 *
 * which is PyTorch's `p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)` up to float rounding. Adam is
 * memory-bound: the passes move 10 floats a parameter (an earlier fourth pass, writing the
 * denominator and reading it back, moved 12), and run chunk by chunk ({@link ADAM_CHUNK}) so that
 * the re-read ones come from the cache (backends/native_adam.ts). The moments
 * live in JS memory (off the wasm heap): a 182 M-parameter generator's Adam state (1.4 GiB) no longer
 * counts against wasm's 4 GiB.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { tf } from "../tf.ts";
import { type BinaryPrimitive, createBinaryPrimitive } from "./binary.ts";
import { DNNL } from "./ffi.ts";
import type { DnnlContext } from "./native.ts";
import { heapPointers, isWasmBackend } from "../wasm/heap.ts";
import { floatsOn } from "../wasm/kernel_support.ts";
import { ADAM_CHUNK, type AdamConstants, type NativeAdam } from "../native_adam.ts";

/** The chunk lengths a parameter of `size` elements is updated in: full chunks, then the rest (a primitive each). */
function chunkLengths(size: number): number[] {
  return size >= ADAM_CHUNK && size % ADAM_CHUNK !== 0
    ? [ADAM_CHUNK, size % ADAM_CHUNK]
    : [Math.min(size, ADAM_CHUNK)];
}

/** The three primitives of one chunk length. */
interface AdamPasses {
  moment1: BinaryPrimitive;
  moment2: BinaryPrimitive;
  update: BinaryPrimitive;
}

function passes(ctx: DnnlContext, n: number, c: AdamConstants): AdamPasses {
  const made: BinaryPrimitive[] = [];
  const make = (spec: Parameters<typeof createBinaryPrimitive>[1]) => {
    const p = createBinaryPrimitive(ctx, spec);
    made.push(p);
    return p;
  };
  try {
    return {
      moment1: make({ alg: DNNL.binary_add, length: n, src1Length: n, scale0: c.beta1, scale1: 1 - c.beta1 }),
      moment2: make({
        alg: DNNL.binary_mul,
        length: n,
        src1Length: n,
        scale0: 1 - c.beta2,
        postOps: [{ kind: "sum", scale: c.beta2 }],
      }),
      update: make({
        alg: DNNL.binary_mul,
        length: n,
        src1Length: 1,
        postOps: [
          { kind: "eltwise", alg: DNNL.eltwise_sqrt, alpha: 0, beta: 0 },
          { kind: "eltwise", alg: DNNL.eltwise_linear, alpha: 1, beta: c.eps },
          { kind: "eltwise", alg: DNNL.eltwise_pow, alpha: 1, beta: -1 },
          { kind: "binary", alg: DNNL.binary_mul, dims: [n] },
          { kind: "binary", alg: DNNL.binary_mul, dims: [1] },
          { kind: "binary", alg: DNNL.binary_add, dims: [n] },
        ],
      }),
    };
  } catch (err) {
    made.forEach((p) => p.dispose());
    throw err;
  }
}

/** Adam's moments of named parameters and their update on oneDNN. */
export class OneDnnAdam implements NativeAdam {
  readonly #ctx: DnnlContext;
  readonly #constants: AdamConstants;
  readonly #passes = new Map<number, AdamPasses>();
  readonly #m = new Map<string, Float32Array>();
  readonly #v = new Map<string, Float32Array>();
  /** 1/(1-β2^t) and -lr/(1-β1^t) of the current step, read by the primitives as broadcast scalars. */
  readonly #scalars = new Float32Array(2);

  /**
   * @param ctx the oneDNN context
   * @param constants β1, β2, eps
   * @param sizes element count per parameter name (moments start at zero)
   * @throws {BackendError} when oneDNN cannot build the passes (all are built here, none mid-training)
   */
  constructor(ctx: DnnlContext, constants: AdamConstants, sizes: ReadonlyMap<string, number>) {
    this.#ctx = ctx;
    this.#constants = { ...constants };
    try {
      for (const [name, size] of sizes) {
        this.#m.set(name, new Float32Array(size));
        this.#v.set(name, new Float32Array(size));
        for (const length of chunkLengths(size)) {
          if (!this.#passes.has(length)) this.#passes.set(length, passes(ctx, length, this.#constants));
        }
      }
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /**
   * The moments of a parameter, live (writing into them changes the optimizer's state).
   *
   * @param name parameter name
   * @returns first and second moments
   * @throws {RangeError} for an unknown name
   */
  moments(name: string): { m: Float32Array; v: Float32Array } {
    const m = this.#m.get(name), v = this.#v.get(name);
    if (!m || !v) throw new RangeError(`Adam (oneDNN): no parameter named ${name}`);
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
   * @throws {BackendError} when the tensors are not in the wasm heap or oneDNN fails
   */
  step(name: string, param: tf.Variable, grad: tf.Tensor, stepSize: number, bc2: number): void {
    const backend = tf.backend();
    if (!isWasmBackend(backend) || param.dtype !== "float32" || grad.dtype !== "float32") {
      throw new BackendError("onednn", `Adam (oneDNN) needs float32 tensors on the wasm backend (${name})`);
    }
    const { m, v } = this.moments(name);
    const n = param.size;
    if (!this.#passes.has(Math.min(ADAM_CHUNK, n)) || m.length !== n || grad.size !== n) {
      throw new RangeError(
        `Adam (oneDNN): ${name} has ${n} elements, its moments ${m.length}, its gradient ${grad.size}`,
      );
    }
    this.#scalars[0] = 1 / bc2;
    this.#scalars[1] = -stepSize;
    const out = backend.makeOutput([...param.shape], "float32");
    // Pointers into the heap after the allocation: it may have grown (and moved) for it.
    const [pPtr, gPtr, outPtr] = heapPointers(backend, [param.dataId, grad.dataId, out.dataId]);
    const mPtr = Deno.UnsafePointer.of(m), vPtr = Deno.UnsafePointer.of(v);
    const invBc2 = Deno.UnsafePointer.of(this.#scalars);
    const negStep = Deno.UnsafePointer.offset(invBc2 as Deno.PointerObject, 4);
    for (let start = 0; start < n; start += ADAM_CHUNK) {
      const chunk = this.#passes.get(Math.min(ADAM_CHUNK, n - start))!;
      const [mAt, gAt, vAt, pAt, outAt] = [mPtr, gPtr, vPtr, pPtr, outPtr].map((x) => floatsOn(x, start));
      chunk.moment1.execute(mAt, gAt, mAt);
      chunk.moment2.execute(gAt, gAt, vAt);
      chunk.update.execute(vAt, invBc2, outAt, [mAt, negStep, pAt]);
    }
    const updated = tf.engine().makeTensorFromTensorInfo(out);
    param.assign(updated);
    updated.dispose();
  }

  /** Frees the primitives (the moments are garbage-collected). */
  dispose(): void {
    for (const p of this.#passes.values()) Object.values(p).forEach((x: BinaryPrimitive) => x.dispose());
    this.#passes.clear();
  }
}
