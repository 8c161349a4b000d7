import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { loadOneDnn } from "../../../backends/onednn/mod.ts";
import { loadOrt } from "../../../backends/ort/mod.ts";
import { ADAM_CHUNK } from "../../../backends/native_adam.ts";
import { Adam } from "../../../plugins/optim/adam.ts";

/** TensorFlow.js's ops (cpu), and oneDNN's or onnxruntime's passes with the moments off the wasm heap. */
const BACKENDS = [
  "cpu",
  ...(loadOneDnn().ok ? ["onednn" as const] : []),
  ...(loadOrt().ok ? ["ort" as const] : []),
] as const;

const GRADS = [[0.3, -2, 1e-3], [0.1, 0.5, -1e-3], [-0.2, 0, 4]];

/** torch.optim.Adam's update in float64, step by step, with the given learning rate per step. */
function reference(p0: number[], lrs: number[], beta1 = 0.5, beta2 = 0.999, eps = 1e-8): number[] {
  const p = [...p0], m = p.map(() => 0), v = p.map(() => 0);
  lrs.forEach((lr, t) => {
    const step = t + 1;
    for (let i = 0; i < p.length; i++) {
      const g = GRADS[t][i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - beta2 ** step) + eps;
      p[i] -= (lr / (1 - beta1 ** step)) * m[i] / denom;
    }
  });
  return p;
}

function stepWith(opt: Adam, t: number): void {
  const g = tf.tensor1d(GRADS[t]);
  opt.step(new Map([["w", g]]));
  g.dispose();
}

for (const backend of BACKENDS) {
  Deno.test(`Adam follows torch.optim.Adam, bias corrections and eps outside the square root, as lr changes (${backend})`, async () => {
    await selectBackend(backend);
    const w = tf.variable(tf.tensor1d([1, -1, 0.5]));
    const opt = new Adam(new Map([["w", w]]), { lr: 0.01 });
    const before = tf.memory().numTensors;
    stepWith(opt, 0);
    opt.lr = 0.005;
    stepWith(opt, 1);
    opt.lr = 0.0025;
    stepWith(opt, 2);
    assert.equal(tf.memory().numTensors, before, "a step leaves no tensor behind");
    assert.equal(opt.stepCount, 3);
    const expected = reference([1, -1, 0.5], [0.01, 0.005, 0.0025]);
    w.dataSync().forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]) < 1e-6, `element ${i}: ${v} vs ${expected[i]}`)
    );
    opt.dispose();
    w.dispose();
  });

  Deno.test(`a restored state continues bit for bit like an uninterrupted run (${backend})`, async () => {
    await selectBackend(backend);
    const straight = tf.variable(tf.tensor1d([1, -1, 0.5]));
    const a = new Adam(new Map([["w", straight]]));
    for (let t = 0; t < 3; t++) stepWith(a, t);

    const resumed = tf.variable(tf.tensor1d([1, -1, 0.5]));
    const b = new Adam(new Map([["w", resumed]]));
    stepWith(b, 0);
    const saved = b.state();
    assert.equal(saved.step, 1);
    assert.deepEqual(saved.m.get("w")!.shape, [3]);
    b.dispose();
    const c = new Adam(new Map([["w", resumed]]));
    c.restore(saved);
    stepWith(c, 1);
    stepWith(c, 2);
    assert.deepEqual(resumed.dataSync(), straight.dataSync());
    assert.throws(() => c.restore({ ...saved, v: new Map() }), /Adam state does not fit: v of w is missing/);
    [a, c].forEach((o) => o.dispose());
    tf.dispose([straight, resumed]);
  });

  Deno.test(`Adam matches torch.optim.Adam on a chunk and a bit of random elements over 5 steps (${backend})`, async () => {
    await selectBackend(backend);
    const n = ADAM_CHUNK + 1_234; // oneDNN updates in chunks: a full one, then a short one
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;
    const p0 = Array.from({ length: n }, random);
    const grads = Array.from({ length: 5 }, () => Float32Array.from({ length: n }, () => random() * 3));
    const w = tf.variable(tf.tensor1d(p0));
    const opt = new Adam(new Map([["w", w]]), { lr: 0.01 });
    const before = tf.memory().numTensors;
    for (const g of grads) {
      const t = tf.tensor1d(g);
      opt.step(new Map([["w", t]]));
      t.dispose();
    }
    assert.equal(tf.memory().numTensors, before, "a step leaves no tensor behind");
    const p = [...p0], m = new Array(n).fill(0), v = new Array(n).fill(0);
    grads.forEach((g, t) => {
      for (let i = 0; i < n; i++) {
        m[i] = 0.5 * m[i] + 0.5 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        p[i] -= (0.01 / (1 - 0.5 ** (t + 1))) * m[i] /
          (Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** (t + 1)) + 1e-8);
      }
    });
    const got = w.dataSync();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - p[i]));
    assert.ok(worst < 1e-6, `max |Δ| ${worst}`);
    const state = opt.state();
    assert.ok(Math.abs(Number(state.m.get("w")!.data[123]) - m[123]) < 1e-6);
    opt.dispose();
    w.dispose();
  });
}

Deno.test("a missing or misshapen gradient is a clear error and changes nothing", async () => {
  await selectBackend("cpu");
  const w = tf.variable(tf.tensor1d([1, 2])), u = tf.variable(tf.tensor1d([3]));
  const opt = new Adam(new Map([["w", w], ["u", u]]));
  const g = tf.tensor1d([1, 1]);
  assert.throws(() => opt.step(new Map([["w", g]])), /Adam: no gradient for u/);
  assert.throws(
    () => opt.step(new Map([["w", g], ["u", g]])),
    /gradient of u has shape \[2\], parameter \[1\]/,
  );
  assert.equal(opt.stepCount, 0);
  assert.deepEqual(Array.from(w.dataSync()), [1, 2]);
  opt.dispose();
  tf.dispose([w, u, g]);
});

Deno.test("new Adam() holds exactly two state tensors per parameter (no leaked zeros)", async () => {
  await selectBackend("cpu");
  const params = new Map([["w", tf.variable(tf.ones([3, 3]))], ["b", tf.variable(tf.zeros([3]))]]);
  const before = tf.memory().numTensors;
  const adam = new Adam(params, { lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8 });
  assert.equal(tf.memory().numTensors - before, 4);
  adam.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...params.values()]);
});

Deno.test({
  name: "on oneDNN, Adam's moments hold no tensor in the wasm heap",
  ignore: !BACKENDS.includes("onednn" as never),
  fn: async () => {
    await selectBackend("onednn");
    const params = new Map([["w", tf.variable(tf.ones([3, 3]))], ["b", tf.variable(tf.zeros([3]))]]);
    const before = tf.memory().numTensors;
    const adam = new Adam(params);
    assert.equal(tf.memory().numTensors, before);
    adam.step(new Map([["w", tf.ones([3, 3])], ["b", tf.ones([3])]]));
    assert.ok(adam.state().m.get("w")!.data.every((x) => Math.abs(Number(x) - 0.5) < 1e-7));
    adam.dispose();
    tf.dispose([...params.values()]);
  },
});

for (const backend of BACKENDS.filter((b) => b !== "cpu")) {
  Deno.test(`on ${backend} Adam keeps its moments off the wasm heap: no state tensors`, async () => {
    await selectBackend(backend);
    const params = new Map([["w", tf.variable(tf.ones([3, 3]))]]);
    const before = tf.memory().numTensors;
    const adam = new Adam(params);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(Array.from(adam.state().m.get("w")!.data as Float32Array), new Array(9).fill(0));
    adam.dispose();
    tf.dispose([...params.values()]);
  });
}
