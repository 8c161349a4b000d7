import assert from "node:assert/strict";
import { tf } from "../../../kernel/tf.ts";
import { selectBackend } from "../../../kernel/backend.ts";
import { Adam } from "../../../plugins/optim/adam.ts";

await selectBackend("cpu");

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

Deno.test("Adam follows torch.optim.Adam, bias corrections and eps outside the square root, as lr changes", () => {
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

Deno.test("a restored state continues bit for bit like an uninterrupted run", () => {
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

Deno.test("a missing or misshapen gradient is a clear error and changes nothing", () => {
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

Deno.test("new Adam() holds exactly two state tensors per parameter (no leaked zeros)", () => {
  const params = new Map([["w", tf.variable(tf.ones([3, 3]))], ["b", tf.variable(tf.zeros([3]))]]);
  const before = tf.memory().numTensors;
  const adam = new Adam(params, { lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8 });
  assert.equal(tf.memory().numTensors - before, 4);
  adam.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...params.values()]);
});
