/**
 * A training session: the networks, both Adam optimizers, the image pool and the run's random
 * generator, with one training iteration exactly as the official train.py + Pix2PixHDModel.forward:
 *
 * 1. G (with E's instance-wise features of the real image, or the precomputed ones of
 *    `load_features`, when enabled) makes `fake`;
 * 2. loss_G = G_GAN (D(label, fake) → real) + G_GAN_Feat (D features of fake vs. real) + G_VGG;
 * 3. loss_D = ½ (D_fake (D(pool(label, fake.detach())) → fake) + D_real (D(label, real) → real));
 * 4. optimizer_G steps on loss_G's gradients, then optimizer_D on loss_D's — both taken at the
 *    weights before either step, as PyTorch does.
 *
 * Without an image pool (`pool_size` 0, the default) D's input in loss_D_fake is the generated image
 * itself, so one forward pass of D on it serves the backward passes of both loss_G and loss_D_fake
 * (`lossesGrads`); the official code runs D on it twice, with the same values.
 *
 * Non-finite losses stop before any weight changes. Everything a resume needs is exported by
 * `checkpoint()` and restored by `restore()`.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { Rng } from "../../kernel/random.ts";
import { type NamedGrads, namedGrads, namedLossesGrads } from "../optim/grads.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { registry } from "../../kernel/registry.ts";
import type { Adam, AdamState } from "../optim/adam.ts";
import type { DiscriminatorOutput, GanLoss } from "../losses/gan_loss.ts";
import type { Vgg19Features } from "../losses/vgg19.ts";
import {
  type GeneratorLossInputs,
  LOSS_NAMES,
  lossEnabled,
  type LossEntry,
  LOSSES,
  type Losses,
  type LossName,
} from "../losses/catalog.ts";
import { ImagePool } from "./image_pool.ts";
import {
  buildModels,
  discriminatorParams,
  disposeModels,
  generatorParams,
  type Models,
  trainingContext,
} from "./models.ts";
import type { TrainOptions } from "./options.ts";

/** One batch, NHWC. */
export interface Batch {
  /** The generator's input without features: one-hot labels (+ boundary), or an RGB image. */
  input: tf.Tensor4D;
  /** The real photos, [-1, 1]. */
  image: tf.Tensor4D;
  /** Instance ids (for the encoder; with label_feat the class ids). */
  inst?: tf.Tensor4D;
  /** Precomputed features `[N, H, W, feat_num]` in [-1, 1] (`load_features`), used instead of E's. */
  feat?: tf.Tensor4D;
}

/** The result of one iteration. */
export interface StepResult {
  /** The five losses. */
  losses: Losses;
  /** The generated images when asked for (`keepFake`); the caller disposes them. */
  fake?: tf.Tensor4D;
}

/** Losses that are not finite: the run has diverged. The weights were left as they were. */
export class DivergedError extends Error {
  /** The losses of the failed iteration. */
  readonly losses: Losses;
  /**
   * @param losses the losses, at least one of which is NaN or infinite
   * @param where where it happened (e.g. "at epoch 3, iteration 1200")
   * @param hint what is left and what to do
   */
  constructor(losses: Losses, where = "", hint = "") {
    const bad = Object.entries(losses).filter(([, v]) => !Number.isFinite(v)).map(([k, v]) => `${k} = ${v}`);
    super(`training diverged${where ? ` ${where}` : ""} (${bad.join(", ")})${hint ? `; ${hint}` : ""}`);
    this.name = "DivergedError";
    this.losses = losses;
  }
}

function moments(state: AdamState, prefix: string, into: Map<string, NdArray>): void {
  for (const [name, a] of state.m) into.set(`${prefix}.exp_avg.${name}`, a);
  for (const [name, a] of state.v) into.set(`${prefix}.exp_avg_sq.${name}`, a);
}

function momentsOf(tensors: Map<string, NdArray>, prefix: string, step: number): AdamState {
  const m = new Map<string, NdArray>(), v = new Map<string, NdArray>();
  for (const [key, a] of tensors) {
    if (key.startsWith(`${prefix}.exp_avg.`)) m.set(key.slice(prefix.length + 9), a);
    else if (key.startsWith(`${prefix}.exp_avg_sq.`)) v.set(key.slice(prefix.length + 12), a);
  }
  return { step, m, v };
}

/** What a session saves besides the networks. */
export interface SessionState {
  /** Tensors: Adam moments (`optimizer_G.exp_avg.<param>`, …, TensorFlow.js layout) and `pool.<i>`. */
  tensors: Map<string, NdArray>;
  /** Steps of both optimizers, the fixed-global flag and the RNG state. */
  meta: { optimizer_G_step: number; optimizer_D_step: number; fixed_global: boolean; rng: number[] };
}

/** The networks, optimizers, pool and random source of a run. */
export class TrainingSession {
  /** The networks. */
  readonly models: Models;
  /** The run's options. */
  readonly opts: TrainOptions;
  /** The run's random generator (pool draws, per-epoch data seeds). */
  rng: Rng;
  #newAdam: (params: Map<string, tf.Variable>) => Adam;
  #optG: Adam;
  #optD: Adam;
  #pool: ImagePool;
  #gan: GanLoss;
  /** The generator losses that are on, each made by its plugin (the catalog's `provider`). */
  #generatorLosses: Array<{ entry: LossEntry<LossName>; loss: unknown }>;
  #fixedGlobal: boolean;

  private constructor(models: Models, opts: TrainOptions, rng: Rng, fixedGlobal: boolean) {
    this.models = models;
    this.opts = opts;
    this.rng = rng;
    this.#fixedGlobal = fixedGlobal;
    // The optimizer and the losses are created by the plugins that provide them, from the run's options
    // each one's schema declares (lr and beta1; gan_mode; lambda_feat).
    const ctx = trainingContext();
    const values = { ...opts, gan_mode: opts.no_lsgan ? "vanilla" : "lsgan" };
    this.#newAdam = registry.provide("optimizer:adam", values, ctx);
    this.#optG = this.#adam(generatorParams(models, opts, fixedGlobal));
    this.#optD = this.#adam(discriminatorParams(models));
    this.#pool = new ImagePool(opts.pool_size, rng);
    this.#gan = registry.provide<GanLoss>("loss:gan", values, ctx);
    this.#generatorLosses = (LOSSES as readonly LossEntry<LossName>[])
      .filter((entry) => entry.generatorTerm && entry.provider && lossEnabled(entry, opts))
      .map((entry) => ({ entry, loss: registry.provide(entry.provider!, values, ctx) }));
  }

  /**
   * Builds a session with fresh networks, seeded by `opts.seed`.
   *
   * @param opts the run's options
   * @param vgg VGG19 features to use instead of loading `opts.vgg_weights` (tests, benchmarks); the
   *   session owns them from then on
   * @returns the session
   * @throws {OptionsError} when the VGG loss is on without weights
   */
  static async create(opts: TrainOptions, vgg?: Vgg19Features): Promise<TrainingSession> {
    const rng = new Rng(opts.seed);
    const models = await buildModels(opts, rng, vgg);
    return new TrainingSession(models, opts, rng, opts.niter_fix_global > 0);
  }

  #adam(params: Map<string, tf.Variable>): Adam {
    // In a scope, so that the tensors Adam makes to initialise its moment variables are freed.
    let adam: Adam | undefined;
    tf.tidy(() => void (adam = this.#newAdam(params)));
    return adam!;
  }

  /** Whether only the outermost local enhancer (and E) trains now. */
  get fixedGlobal(): boolean {
    return this.#fixedGlobal;
  }

  /** The learning rate of both optimizers. */
  get lr(): number {
    return this.#optG.lr;
  }
  set lr(value: number) {
    this.#optG.lr = value;
    this.#optD.lr = value;
  }

  /**
   * Ends the fixed-global phase: optimizer_G becomes a fresh Adam over all of G (and E), as the
   * official `update_fixed_params`.
   */
  releaseGlobal(): void {
    if (!this.#fixedGlobal) return;
    const lr = this.lr;
    this.#optG.dispose();
    this.#fixedGlobal = false;
    this.#optG = this.#adam(generatorParams(this.models, this.opts, false));
    this.#optG.lr = lr;
  }

  /**
   * The generator's input: the batch's input, with the precomputed features (`load_features`) or E's
   * instance-wise features of the real image.
   */
  #generatorInput(batch: Batch): tf.Tensor4D {
    const { E } = this.models;
    if (this.opts.load_features) {
      if (!batch.feat) throw new RangeError("load_features: the batch has no feature map");
      return tf.concat([batch.input, batch.feat], 3);
    }
    if (!E) return batch.input;
    if (!batch.inst) throw new RangeError("instance_feat/label_feat: the batch has no instance map");
    return tf.concat([batch.input, E.apply(batch.image, batch.inst)], 3);
  }

  /**
   * One training iteration.
   *
   * @param batch the inputs and real images (not disposed)
   * @param keepFake also return the generated images (for display)
   * @returns the losses (and the images)
   * @throws {DivergedError} when a loss is not finite; no weight has changed then
   */
  step(batch: Batch, keepFake = false): StepResult {
    const { G, D, vgg } = this.models;
    const o = this.opts;
    const gParams = generatorParams(this.models, o, this.#fixedGlobal);
    const dParams = discriminatorParams(this.models);
    let fake: tf.Tensor4D | undefined;
    let fakeInput: tf.Tensor4D | undefined;
    let predReal: tf.Tensor4D[][] | undefined;
    let vggReal: tf.Tensor4D[] | undefined;
    const parts = new Map<LossName, tf.Scalar>();
    const done: NamedGrads[] = [];
    let dGrads: Map<string, tf.Tensor> | undefined;
    try {
      // D on the real image runs once, as in the official forward: loss_D_real with its half of D's
      // gradients, and its features (kept) are constants of G's feature matching loss. loss_D is
      // ½ (D_fake + D_real), so D's gradient is the sum of the gradients of ½ D_real and ½ D_fake:
      // the same values as one backward pass, which adds the two terms' contributions per parameter.
      done.push(namedGrads(() => {
        const pred = D.apply(tf.concat([batch.input, batch.image], 3));
        if (!o.no_ganFeat_loss) predReal = pred.map((scale) => scale.map((t) => tf.keep(t)));
        const dReal = tf.keep(this.#gan.discriminatorReal(pred));
        parts.set("D_real", dReal);
        return tf.mul(dReal, 0.5) as tf.Scalar;
      }, dParams));
      // The real image's VGG features are constants of G's loss: computed before the tape, so that it
      // keeps none of their intermediates.
      vggReal = vgg ? tf.tidy(() => vgg.apply(batch.image)) : undefined;
      /** loss_G from fake (G's forward pass and D's on it), and D's on the fake image when given. */
      const generatorLoss = (dFakeLoss?: (predFake: DiscriminatorOutput) => tf.Scalar) => {
        fake = tf.keep(G.apply(this.#generatorInput(batch)));
        fakeInput = tf.keep(tf.concat([batch.input, fake], 3));
        const inputs: GeneratorLossInputs = {
          predFake: D.apply(fakeInput),
          predReal,
          fake,
          vgg: vgg && vggReal ? { net: vgg, real: vggReal } : undefined,
        };
        const terms: tf.Scalar[] = [];
        for (const { entry, loss } of this.#generatorLosses) {
          const term = tf.keep(entry.generatorTerm!(inputs, loss));
          parts.set(entry.name, term);
          terms.push(term);
        }
        for (const entry of LOSSES) {
          if (entry.net === "G" && !parts.has(entry.name)) parts.set(entry.name, tf.keep(tf.scalar(0)));
        }
        return { lossG: tf.addN(terms) as tf.Scalar, lossD: dFakeLoss?.(inputs.predFake) };
      };
      const halfDFake = (predFake: DiscriminatorOutput) => {
        const dFake = tf.keep(this.#gan.discriminatorFake(predFake));
        parts.set("D_fake", dFake);
        return tf.mul(dFake, 0.5) as tf.Scalar;
      };
      if (this.#pool.size === 0) {
        // Without a pool D sees the generated image itself: D(fake.detach()) of loss_D_fake has the
        // values of D(fake) of loss_G, so one forward pass of D on it serves both backward passes
        // (loss_D_fake's first, which frees D's activations before G's backward pass is at its peak).
        const [dFake, g] = namedLossesGrads(() => {
          const { lossG, lossD } = generatorLoss(halfDFake);
          return [lossD!, lossG];
        }, [dParams, gParams]);
        done.push(g, dFake);
      } else {
        done.push(namedGrads(() => generatorLoss().lossG, gParams));
      }
      tf.dispose([...(predReal ?? []).flat(), ...(vggReal ?? [])]);
      [predReal, vggReal] = [undefined, undefined];
      if (this.#pool.size > 0) {
        done.push(namedGrads(() => halfDFake(D.apply(this.#pool.query(fakeInput!))), dParams));
      }
      const [dReal, , dFake] = done;
      dGrads = new Map([...dParams.keys()].flatMap((name) => {
        const [r, f] = [dReal.grads.get(name), dFake.grads.get(name)];
        return r && f ? [[name, tf.add(r, f)]] : r ?? f ? [[name, (r ?? f)!]] : [];
      }));
    } catch (error) {
      const held = done.flatMap((d) => [d.value, ...d.grads.values()]);
      tf.dispose([
        ...held,
        ...parts.values(),
        ...(predReal ?? []).flat(),
        ...(vggReal ?? []),
        ...(fake ? [fake] : []),
      ]);
      throw error;
    } finally {
      fakeInput?.dispose();
    }
    const losses = Object.fromEntries(
      LOSS_NAMES.map((name) => [name, parts.get(name)!.dataSync()[0]]),
    ) as Losses;
    const values = Object.values(losses);
    tf.dispose([...parts.values(), ...done.map((d) => d.value)]);
    try {
      if (!values.every(Number.isFinite)) throw new DivergedError(losses);
      this.#optG.step(done[1].grads);
      this.#optD.step(dGrads);
    } catch (error) {
      fake?.dispose();
      throw error;
    } finally {
      const gradients = new Set(done.flatMap((d) => [...d.grads.values()]).concat([...dGrads.values()]));
      tf.dispose([...gradients]);
    }
    if (keepFake) return { losses, fake };
    fake?.dispose();
    return { losses };
  }

  /**
   * Everything a resume needs besides the networks' weights.
   *
   * @returns tensors (Adam moments, pool contents) and metadata
   */
  state(): SessionState {
    const tensors = new Map<string, NdArray>();
    const g = this.#optG.state(), d = this.#optD.state();
    moments(g, "optimizer_G", tensors);
    moments(d, "optimizer_D", tensors);
    this.#pool.contents().forEach((t, i) => {
      tensors.set(`pool.${i}`, {
        shape: [...t.shape],
        dtype: "float32",
        data: Float32Array.from(t.dataSync()),
      });
    });
    return {
      tensors,
      meta: {
        optimizer_G_step: g.step,
        optimizer_D_step: d.step,
        fixed_global: this.#fixedGlobal,
        rng: this.rng.state(),
      },
    };
  }

  /**
   * Restores what `state()` gave (the networks' weights are loaded separately).
   *
   * @param state the saved state
   * @throws {RangeError} when the moments do not fit the optimizers' parameters
   */
  restore(state: SessionState): void {
    if (state.meta.fixed_global !== this.#fixedGlobal) {
      if (state.meta.fixed_global) {
        throw new RangeError("the checkpoint is in the fixed-global phase, this run is not");
      }
      this.releaseGlobal();
    }
    this.rng = Rng.from(state.meta.rng);
    this.#optG.restore(momentsOf(state.tensors, "optimizer_G", state.meta.optimizer_G_step));
    this.#optD.restore(momentsOf(state.tensors, "optimizer_D", state.meta.optimizer_D_step));
    this.#pool.dispose();
    this.#pool = new ImagePool(this.opts.pool_size, this.rng);
    const pooled: tf.Tensor4D[] = [];
    for (let i = 0; state.tensors.has(`pool.${i}`); i++) {
      const a = state.tensors.get(`pool.${i}`)!;
      pooled.push(
        tf.tensor4d(a.data as Float32Array, a.shape as [number, number, number, number], "float32"),
      );
    }
    this.#pool.restore(pooled);
  }

  /** Frees the networks, the optimizers' moments and the pool. */
  dispose(): void {
    this.#optG.dispose();
    this.#optD.dispose();
    this.#pool.dispose();
    disposeModels(this.models);
  }
}
