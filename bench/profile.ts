/**
 * Where a training step's time goes: runs pix2pixHD training iterations (the real `TrainingSession`:
 * global G, multiscale D, VGG19 with random weights, Adam) and times every kernel by wrapping the
 * backend's registered kernel functions. Prints time per kernel name, so the largest items get fixed
 * first, and GMAC/s of the convolution kernels.
 *
 * Run: `deno run -A bench/profile.ts [--backend onednn] [--width 256] [--height 128] [--ngf 32]
 * [--warmup 4] [--steps 2] [--json]`
 *
 * Only synchronous backends (cpu, wasm, onednn) are timed exactly: a kernel's wall time is its work.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { selectBackend } from "../backends/select.ts";
import { defaultsOf, defineSchema, type OptionsOf, resolveOptions } from "../kernel/options.ts";
import { randomVgg19StateDict, Vgg19Features } from "../plugins/losses/vgg19.ts";
import { resolveTrainOptions } from "../plugins/train/options.ts";
import { type Batch, TrainingSession } from "../plugins/train/session.ts";
import { TUNING_CALLS } from "../backends/onednn/conv_primitive.ts";

/** Options of {@link profileTrainStep}. */
export const profileSchema = defineSchema({
  backend: {
    type: "enum",
    default: "onednn",
    choices: ["onednn", "ort", "wasm", "cpu"],
    doc: "backend to profile",
  },
  width: { type: "int", default: 256, min: 16, doc: "image width" },
  height: { type: "int", default: 128, min: 16, doc: "image height" },
  ngf: { type: "int", default: 32, min: 1, doc: "generator filters in the first conv layer" },
  ndf: { type: "int", default: 64, min: 1, doc: "discriminator filters in the first conv layer" },
  num_D: { type: "int", default: 2, min: 1, doc: "discriminator scales" },
  label_nc: { type: "int", default: 35, min: 1, doc: "label classes (Cityscapes: 35)" },
  warmup: {
    type: "int",
    default: TUNING_CALLS,
    min: 1,
    doc: "untimed iterations first (oneDNN times two variants of each conv on its first calls)",
  },
  steps: { type: "int", default: 2, min: 1, doc: "timed iterations" },
  json: { type: "boolean", default: false, doc: "print JSON instead of a table" },
});

/** Resolved profile options. */
export type ProfileOptions = OptionsOf<typeof profileSchema>;

/** Time spent in one kernel name, per iteration. */
export interface KernelTime {
  /** Kernel name (`Conv2D`, `MirrorPad`, `Transpose`, …). */
  name: string;
  /** Calls per iteration. */
  calls: number;
  /** Milliseconds per iteration in this kernel itself (kernels it runs are counted under their names). */
  ms: number;
  /** Share of the iteration's wall time. */
  share: number;
  /** For convolution kernels: multiply-accumulates per second (billions), over its whole run time. */
  gmacs?: number;
}

/** The profile of a training iteration. */
export interface StepProfile {
  /** The backend and why it was picked. */
  backend: string;
  /** Image size `width×height`. */
  size: string;
  /** Mean wall time of one iteration (ms). */
  stepMs: number;
  /** Time outside kernels (autodiff tape, tidy, JS) per iteration (ms). */
  outsideKernelsMs: number;
  /** Convolution multiply-accumulates per iteration, in billions, and their overall rate. */
  convGmac: number;
  /** Per kernel name, slowest first. */
  kernels: KernelTime[];
}

/** Multiply-accumulates of a convolution kernel call, from its input shapes (0 for other kernels). */
function convMacs(
  name: string,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
): number {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  switch (name) {
    case "Conv2D":
    case "FusedConv2D": {
      const { x, filter } = inputs;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides as number,
        attrs.dilations as number,
        attrs.pad as "same",
        attrs.dimRoundingMode as "floor",
      );
      return size(info.outShape) * size(filter.shape.slice(0, 3));
    }
    case "Conv2DBackpropInput":
      return size(inputs.dy.shape) * size(inputs.filter.shape.slice(0, 3));
    case "Conv2DBackpropFilter":
      return size(inputs.dy.shape) * size((attrs.filterShape as number[]).slice(0, 3));
    default:
      return 0;
  }
}

/** Per kernel name: calls, self time (nested kernel calls excluded), and top-level conv work. */
interface Totals {
  calls: number;
  selfMs: number;
  /** Multiply-accumulates of calls made outside any other kernel, and their inclusive time. */
  macs: number;
  macsMs: number;
}

/**
 * Wraps every kernel of the active backend with a timer. Kernels that run other kernels through the
 * engine (a backprop built from convs and matmuls) count only their own time; the convolution work of
 * a call is counted once, at the outermost kernel.
 *
 * @returns the totals, filled while kernels run, and `unwrap` to restore the original kernels
 */
function instrumentKernels(): { totals: Map<string, Totals>; unwrap: () => void } {
  const backend = tf.getBackend();
  const totals = new Map<string, Totals>();
  const childMs: number[] = []; // per active kernel call: time spent in the kernels it ran
  const originals = tf.getKernelsForBackend(backend);
  for (const config of originals) {
    const { kernelName, kernelFunc } = config;
    const timed: tf.KernelFunc = (args) => {
      const outermost = childMs.length === 0;
      childMs.push(0);
      const start = performance.now();
      try {
        return kernelFunc(args);
      } finally {
        const ms = performance.now() - start;
        const nested = childMs.pop()!;
        if (childMs.length > 0) childMs[childMs.length - 1] += ms;
        const t = totals.get(kernelName) ?? { calls: 0, selfMs: 0, macs: 0, macsMs: 0 };
        t.calls++;
        t.selfMs += ms - nested;
        const macs = outermost
          ? convMacs(kernelName, args.inputs as Record<string, tf.TensorInfo>, args.attrs ?? {})
          : 0;
        if (macs > 0) [t.macs, t.macsMs] = [t.macs + macs, t.macsMs + ms];
        totals.set(kernelName, t);
      }
    };
    tf.unregisterKernel(kernelName, backend);
    tf.registerKernel({ ...config, kernelFunc: timed });
  }
  return {
    totals,
    unwrap() {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backend);
        tf.registerKernel(config);
      }
    },
  };
}

/** A Cityscapes-like batch: one-hot labels of `label_nc` classes + an edge map, and a random image. */
function randomBatch(o: ProfileOptions): Batch {
  return tf.tidy(() => {
    const labels = tf.randomUniform([1, o.height, o.width], 0, o.label_nc, "int32", 1);
    const oneHot = tf.cast(tf.oneHot(labels, o.label_nc), "float32");
    const edges = tf.cast(
      tf.greater(tf.randomUniform([1, o.height, o.width, 1], 0, 1, "float32", 2), 0.9),
      "float32",
    );
    return {
      input: tf.concat([oneHot, edges], 3) as tf.Tensor4D,
      image: tf.randomUniform([1, o.height, o.width, 3], -1, 1, "float32", 3) as tf.Tensor4D,
    };
  });
}

function table(p: StepProfile): string {
  const head = ["kernel", "calls", "ms/step", "share", "GMAC/s"];
  const rows = p.kernels.map((k) => [
    k.name,
    String(k.calls),
    k.ms.toFixed(1),
    `${(100 * k.share).toFixed(1)}%`,
    k.gmacs === undefined ? "" : k.gmacs.toFixed(1),
  ]);
  rows.push([
    "(outside kernels)",
    "",
    p.outsideKernelsMs.toFixed(1),
    `${(100 * p.outsideKernelsMs / p.stepMs).toFixed(1)}%`,
    "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const lines = [head, ...rows].map((r) =>
    r.map((v, i) => (i ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join("  ")
  );
  return [
    `${p.backend} — pix2pixHD training iteration at ${p.size}: ${p.stepMs.toFixed(0)} ms/step, ` +
    `convolutions ${p.convGmac.toFixed(1)} GMAC/step`,
    ...lines,
  ].join("\n");
}

/**
 * Profiles pix2pixHD training iterations (global generator, `num_D` discriminators, VGG19 loss, Adam
 * on both) and prints the time per kernel name.
 *
 * @param given options (see {@link profileSchema}); unknown keys are rejected
 * @returns the profile
 * @throws {BackendError} when the backend cannot load here
 * @throws {OptionsError} on a bad option
 */
export async function profileTrainStep(given: Partial<ProfileOptions> = {}): Promise<StepProfile> {
  const o = resolveOptions("profile", profileSchema, given);
  const choice = await selectBackend(o.backend);
  const train = resolveTrainOptions({
    ngf: o.ngf,
    ndf: o.ndf,
    num_D: o.num_D,
    label_nc: o.label_nc,
    netG: "global",
  });
  const vgg = Vgg19Features.fromStateDict(randomVgg19StateDict(0), "random VGG19");
  const session = await TrainingSession.create(train, vgg);
  const batch = randomBatch(o);
  try {
    for (let i = 0; i < o.warmup; i++) session.step(batch); // primitive creation and tuning, heap growth
    const { totals, unwrap } = instrumentKernels();
    const start = performance.now();
    try {
      for (let i = 0; i < o.steps; i++) session.step(batch);
    } finally {
      unwrap();
    }
    const stepMs = (performance.now() - start) / o.steps;
    const kernels: KernelTime[] = [...totals].map(([name, t]) => ({
      name,
      calls: t.calls / o.steps,
      ms: t.selfMs / o.steps,
      share: t.selfMs / o.steps / stepMs,
      ...(t.macs > 0 ? { gmacs: t.macs / t.macsMs / 1e6 } : {}),
    })).sort((a, b) => b.ms - a.ms);
    const inKernels = kernels.reduce((a, k) => a + k.ms, 0);
    const convMacsPerStep = [...totals.values()].reduce((a, t) => a + t.macs, 0) / o.steps;
    const profile: StepProfile = {
      backend: `${choice.name} (${choice.reason})`,
      size: `${o.width}×${o.height}`,
      stepMs,
      outsideKernelsMs: stepMs - inKernels,
      convGmac: convMacsPerStep / 1e9,
      kernels,
    };
    console.log(o.json ? JSON.stringify(profile, null, 2) : table(profile));
    return profile;
  } finally {
    tf.dispose([batch.input, batch.image]);
    session.dispose();
    vgg.dispose();
  }
}

if (import.meta.main) {
  const given: Record<string, unknown> = {};
  for (let i = 0; i < Deno.args.length; i++) {
    const key = Deno.args[i].replace(/^--/, "");
    if (profileSchema[key as keyof typeof profileSchema]?.type === "boolean") given[key] = true;
    else given[key] = Deno.args[++i];
  }
  await profileTrainStep({ ...defaultsOf(profileSchema), ...given } as Partial<ProfileOptions>);
}
