/**
 * PyTorch's `torch.optim.Adam` (no weight decay, no amsgrad), step for step as PyTorch 1.13 computes
 * it: m ← β1·m + (1-β1)·g; v ← β2·v + (1-β2)·g²; p ← p - (lr / (1-β1^t)) · m / (√v / √(1-β2^t) + eps).
 * The learning rate can change between steps (the linear decay schedule), and the whole state
 * (step, moments) can be read and restored, so a resumed run continues bit for bit.
 *
 * With the oneDNN or onnxruntime kernels on, the update runs there, chunk by chunk, and the moments
 * live outside the wasm heap (backends/native_adam.ts); elsewhere it runs on TensorFlow.js ops.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { defineSchema, type OptionsOf, resolveOptions } from "../../kernel/options.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import { type NdArray, toFloat32 } from "../../formats/ndarray.ts";
import { createOneDnnAdam } from "../../backends/onednn/mod.ts";
import { createOrtAdam } from "../../backends/ort/mod.ts";
import type { NativeAdam } from "../../backends/native_adam.ts";

/** Adam's options, with the pix2pixHD defaults (lr 2e-4, betas (0.5, 0.999)). */
export const adamSchema = defineSchema({
  lr: { type: "number", default: 0.0002, min: 0, doc: "initial learning rate of Adam" },
  beta1: { type: "number", default: 0.5, min: 0, max: 1, doc: "momentum term (first moment decay) of Adam" },
  beta2: { type: "number", default: 0.999, min: 0, max: 1, doc: "second moment decay" },
  eps: { type: "number", default: 1e-8, min: 0, doc: "added to the denominator" },
});
/** Resolved Adam options. */
export type AdamOptions = OptionsOf<typeof adamSchema>;

/** Adam's state: the step count and both moments per parameter (tfjs layout, float32 copies). */
export interface AdamState {
  /** Steps taken. */
  step: number;
  /** First moments, by parameter name. */
  m: Map<string, NdArray>;
  /** Second moments, by parameter name. */
  v: Map<string, NdArray>;
}

let optimizerCount = 0;

/** The Adam optimizer over named parameters. */
export class Adam {
  /** The learning rate of the next step; schedules set it. */
  lr: number;
  readonly #o: AdamOptions;
  readonly #params: Map<string, tf.Variable>;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();
  readonly #native: NativeAdam | null;
  readonly #id = ++optimizerCount;
  #step = 0;

  /**
   * @param params the parameters it updates, by name (e.g. `net.params()`)
   * @param options lr, beta1, beta2, eps
   * @throws {OptionsError} on a bad option
   */
  constructor(params: Map<string, tf.Variable>, options: Partial<AdamOptions> = {}) {
    this.#o = resolveOptions("adam", adamSchema, options);
    this.lr = this.#o.lr;
    this.#params = new Map(params);
    const { beta1, beta2, eps } = this.#o;
    const sizes = new Map([...this.#params].map(([name, p]) => [name, p.size]));
    this.#native = createOneDnnAdam({ beta1, beta2, eps }, sizes) ??
      createOrtAdam({ beta1, beta2, eps }, sizes);
    if (this.#native) return;
    for (const [name, p] of this.#params) {
      this.#m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false, `adam${this.#id}/m/${name}`)));
      this.#v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false, `adam${this.#id}/v/${name}`)));
    }
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.#step;
  }

  /**
   * Updates every parameter from its gradient.
   *
   * @param grads gradient per parameter name (e.g. from `namedGrads`); not disposed
   * @throws {RangeError} naming a parameter without a gradient or with a gradient of another shape
   */
  step(grads: Map<string, tf.Tensor>): void {
    for (const [name, p] of this.#params) {
      const g = grads.get(name);
      if (!g) {
        throw new RangeError(
          `Adam: no gradient for ${name}; leave parameters the loss does not use out of the optimizer`,
        );
      }
      if (g.shape.join() !== p.shape.join()) {
        throw new RangeError(
          `Adam: gradient of ${name} has shape [${g.shape.join(", ")}], parameter [${p.shape.join(", ")}]`,
        );
      }
    }
    this.#step++;
    const { beta1, beta2, eps } = this.#o;
    const stepSize = this.lr / (1 - beta1 ** this.#step);
    if (this.#native) {
      for (const [name, p] of this.#params) {
        this.#native.step(name, p, grads.get(name) as tf.Tensor, stepSize, 1 - beta2 ** this.#step);
      }
      return;
    }
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.#step);
    for (const [name, p] of this.#params) {
      const g = grads.get(name) as tf.Tensor;
      const m = this.#m.get(name) as tf.Variable, v = this.#v.get(name) as tf.Variable;
      tf.tidy(() => {
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.mul(g, g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      });
    }
  }

  /**
   * A copy of the state, for checkpoints.
   *
   * @returns step and moments (float32 copies in tfjs layout)
   */
  state(): AdamState {
    const m = new Map<string, NdArray>(), v = new Map<string, NdArray>();
    for (const [name, p] of this.#params) {
      const shape = [...p.shape];
      const [mData, vData] = this.#native
        ? [this.#native.moments(name).m, this.#native.moments(name).v]
        : [this.#m.get(name)!.dataSync() as Float32Array, this.#v.get(name)!.dataSync() as Float32Array];
      m.set(name, { shape, dtype: "float32", data: Float32Array.from(mData) });
      v.set(name, { shape, dtype: "float32", data: Float32Array.from(vData) });
    }
    return { step: this.#step, m, v };
  }

  /**
   * Restores a state saved by `state()` (the learning rate is set separately).
   *
   * @param state the saved state
   * @throws {RangeError} when a parameter's moments are missing or of another shape
   */
  restore(state: AdamState): void {
    for (const [name, p] of this.#params) {
      for (const [kind, saved] of [["m", state.m.get(name)], ["v", state.v.get(name)]] as const) {
        if (!saved || saved.shape.join() !== p.shape.join()) {
          throw new RangeError(
            `Adam state does not fit: ${kind} of ${name} is ${
              saved ? `[${saved.shape.join(", ")}]` : "missing"
            }, ` +
              `parameter [${p.shape.join(", ")}]`,
          );
        }
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`Adam state does not fit: step must be a non-negative integer, got ${state.step}`);
    }
    for (const [name, p] of this.#params) {
      if (this.#native) {
        const { m, v } = this.#native.moments(name);
        m.set(toFloat32(state.m.get(name) as NdArray));
        v.set(toFloat32(state.v.get(name) as NdArray));
        continue;
      }
      for (const [vars, saved] of [[this.#m, state.m], [this.#v, state.v]] as const) {
        const array = saved.get(name) as NdArray;
        tf.tidy(() =>
          (vars.get(name) as tf.Variable).assign(tf.tensor(toFloat32(array), p.shape, "float32"))
        );
      }
    }
    this.#step = state.step;
  }

  /** Frees the moments (not the parameters). */
  dispose(): void {
    this.#native?.dispose();
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}

/** Adam as a plugin: `create` gives a factory over a parameter map. */
export const adamPlugin = definePlugin({
  name: "adam",
  role: "optimizer",
  description: "Adam exactly as torch.optim.Adam (pix2pixHD: lr 2e-4, betas (0.5, 0.999))",
  provides: ["optimizer:adam"],
  schema: adamSchema,
  create: (options) => (params: Map<string, tf.Variable>) => new Adam(params, options),
});
