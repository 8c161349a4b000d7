/**
 * What `deno task doctor` reports: versions, which backends load here and why not, the kernels we
 * registered, and a tiny forward/backward check of a conv net on the chosen backend against cpu.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { type BackendChoice, BACKENDS, plainWasmThreads, probeWebGpu, selectBackend } from "./select.ts";
import { ourKernels } from "./doctor_notes.ts";

/** One backend's status. */
export interface BackendStatus {
  name: string;
  loads: boolean;
  detail: string;
}

/** The doctor's findings. */
export interface DoctorReport {
  deno: string;
  v8: string;
  tfjs: string;
  backends: BackendStatus[];
  webgpuAdapter: string;
  /** The threads plain wasm runs on here (1 for none). */
  wasmThreads: number;
  registeredKernels: Record<string, string[]>;
  chosen: { name: string; reason: string };
  check: { ok: boolean; maxForwardError: number; maxGradError: number; seconds: number; detail: string };
}

function tinyNet(x: tf.Tensor4D, w1: tf.Tensor4D, w2: tf.Tensor4D): tf.Scalar {
  const conv = tf.conv2d(tf.mirrorPad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], "reflect"), w1, 1, "valid");
  const { mean, variance } = tf.moments(conv, [1, 2], true); // instance norm: per-channel pixel means
  const h = tf.relu(tf.mul(tf.sub(conv, mean), tf.rsqrt(tf.add(variance, 1e-5)))) as tf.Tensor4D;
  const pooled = tf.add(tf.maxPool(h, 2, 2, "valid"), tf.avgPool(h, 2, 2, "valid")) as tf.Tensor4D;
  const d = tf.add(tf.conv2d(h, w2, 2, "same"), pooled) as tf.Tensor4D;
  const u = tf.conv2dTranspose(d, tf.transpose(w2, [0, 1, 3, 2]) as tf.Tensor4D, h.shape, 2, "same");
  return tf.mean(tf.square(tf.tanh(u)));
}

function runCheck(): { loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const x = tf.randomNormal([1, 8, 12, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const w1 = tf.randomNormal([3, 3, 3, 4], 0, 0.3, "float32", 2) as tf.Tensor4D;
    const w2 = tf.randomNormal([3, 3, 4, 4], 0, 0.3, "float32", 3) as tf.Tensor4D;
    const { value, grads } = tf.valueAndGrads((...w: tf.Tensor[]) =>
      tinyNet(x, w[0] as tf.Tensor4D, w[1] as tf.Tensor4D)
    )([w1, w2]);
    return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

/**
 * Examines this machine.
 *
 * @param backend the backend to check: a name ("auto" by default) or a choice already made
 */
export async function diagnose(backend: string | BackendChoice = "auto"): Promise<DoctorReport> {
  const statuses: BackendStatus[] = [];
  for (const name of BACKENDS.filter((b) => b !== "auto")) {
    try {
      const choice = await selectBackend(name);
      statuses.push({ name, loads: true, detail: choice.reason });
    } catch (error) {
      statuses.push({
        name,
        loads: false,
        detail: (error as Error).message.replace(/^Cannot use backend "[^"]+": /, ""),
      });
    }
  }
  const adapter = await probeWebGpu();
  await selectBackend("cpu");
  const reference = runCheck();
  const chosen = typeof backend === "string" ? await selectBackend(backend) : backend;
  await selectBackend(chosen.name);
  const start = performance.now();
  let check: DoctorReport["check"];
  try {
    const got = runCheck();
    const maxForwardError = Math.abs(got.loss - reference.loss);
    let maxGradError = 0;
    got.grads.forEach((g, i) =>
      g.forEach((v, j) => maxGradError = Math.max(maxGradError, Math.abs(v - reference.grads[i][j])))
    );
    const ok = maxForwardError < 1e-4 && maxGradError < 1e-4;
    check = {
      ok,
      maxForwardError,
      maxGradError,
      seconds: (performance.now() - start) / 1000,
      detail: ok
        ? "conv/pad/norm/pool/transposed-conv forward and gradients match cpu"
        : "results differ from the cpu backend",
    };
  } catch (error) {
    check = {
      ok: false,
      maxForwardError: NaN,
      maxGradError: NaN,
      seconds: 0,
      detail: (error as Error).message.split("\n")[0],
    };
  }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    tfjs: tf.version_core,
    backends: statuses,
    webgpuAdapter: adapter.description,
    wasmThreads: plainWasmThreads(),
    registeredKernels: ourKernels(),
    chosen,
    check,
  };
}
