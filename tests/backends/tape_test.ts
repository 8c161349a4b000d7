import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { lossesGrads, variableGrads } from "../../backends/tape.ts";
import { instanceNorm } from "../../plugins/networks/_layers/norm.ts";

await tf.setBackend("cpu");

let nets = 0;

/** A small conv net with reflect padding, instance norm, a residual add and a reused tensor. */
function makeNet() {
  const id = ++nets;
  const w1 = tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 0.3, "float32", 1), true, `tape_w1_${id}`);
  const w2 = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.3, "float32", 2), true, `tape_w2_${id}`);
  const frozen = tf.variable(tf.randomNormal([1, 1, 8, 2], 0, 0.3, "float32", 3), false, `tape_frozen_${id}`);
  const x = tf.randomNormal([1, 12, 10, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const loss = () =>
    tf.tidy(() => {
      const h = tf.relu(
        instanceNorm(
          tf.conv2d(
            tf.mirrorPad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], "reflect"),
            w1 as tf.Tensor4D,
            1,
            "valid",
          ),
        ),
      );
      const r = tf.add(h, tf.conv2d(h, w2 as tf.Tensor4D, 1, "same"));
      const out = tf.conv2d(tf.mul(r, h) as tf.Tensor4D, frozen as tf.Tensor4D, 1, "same");
      return tf.mean(tf.square(out)) as tf.Scalar;
    });
  return { vars: [w1, w2, frozen], loss, dispose: () => tf.dispose([w1, w2, frozen, x]) };
}

Deno.test("variableGrads() gives tf.variableGrads' value and gradients, only for trainable variables", () => {
  const net = makeNet();
  const ours = variableGrads(net.loss, net.vars);
  const theirs = tf.variableGrads(net.loss, net.vars);
  assert.equal(ours.value.dataSync()[0], theirs.value.dataSync()[0]);
  const names = [net.vars[0].name, net.vars[1].name];
  assert.deepEqual(Object.keys(ours.grads).sort(), names);
  for (const name of names) {
    const a = ours.grads[name].dataSync(), b = theirs.grads[name].dataSync();
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * (1 + Math.abs(b[i])), `${name}[${i}]`);
    }
  }
  tf.dispose([ours.value, theirs.value, ...Object.values(ours.grads), ...Object.values(theirs.grads)]);
  net.dispose();
});

Deno.test("variableGrads() frees the tape as it goes: far less held at the end of the backward pass, nothing left after", async () => {
  // A deep chain: tfjs keeps every activation's gradient to the end, we only the frontier.
  const ws = Array.from(
    { length: 10 },
    (_, i) => tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.2, "float32", i), true, `tape_chain_${i}`),
  );
  const x = tf.randomNormal([1, 32, 32, 8], 0, 1, "float32", 99) as tf.Tensor4D;
  const loss = () =>
    tf.tidy(() =>
      tf.mean(ws.reduce((h, w) => tf.relu(tf.conv2d(h, w as tf.Tensor4D, 1, "same")), x)) as tf.Scalar
    );
  const before = tf.memory().numTensors;
  let result: ReturnType<typeof variableGrads> | undefined;
  // tf.profile returns the same (reused) object every time: read it before profiling again.
  const held = (p: Awaited<ReturnType<typeof tf.profile>>) => ({
    end: p.kernels[p.kernels.length - 1].totalBytesSnapshot,
    peak: p.peakBytes,
  });
  const ours = held(await tf.profile(() => void (result = variableGrads(loss, ws))));
  assert.equal(
    tf.memory().numTensors,
    before + 1 + ws.length,
    "the value and one gradient per variable are all that is left",
  );
  tf.dispose([result!.value, ...Object.values(result!.grads)]);
  let theirsResult: ReturnType<typeof tf.variableGrads> | undefined;
  const theirs = held(await tf.profile(() => void (theirsResult = tf.variableGrads(loss, ws))));
  tf.dispose([theirsResult!.value, ...Object.values(theirsResult!.grads)]);
  // Memory held when the last backward kernel ran: tfjs still holds every activation and its gradient.
  assert.ok(ours.end < 0.3 * theirs.end, `held ${ours.end} vs tfjs ${theirs.end}`);
  assert.ok(ours.peak <= theirs.peak);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...ws, x]);
});

Deno.test("variableGrads() cleans the tape when the function throws or returns a non-scalar", () => {
  const net = makeNet();
  const before = tf.memory().numTensors;
  assert.throws(() =>
    variableGrads(() => {
      tf.mul(net.vars[0], 2);
      throw new Error("boom");
    }, net.vars), /boom/);
  assert.throws(
    () => variableGrads(() => tf.mul(net.vars[0], 2) as unknown as tf.Scalar, net.vars),
    /scalar/,
  );
  assert.equal(tf.memory().numTensors, before);
  // the engine's tape is off again: a plain op afterwards records nothing
  assert.equal((tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape, null);
  net.dispose();
});

Deno.test("instanceNorm()'s own gradient equals the gradient of the composed ops", () => {
  const x = tf.randomNormal([2, 5, 7, 4], 1, 2, "float32", 9) as tf.Tensor4D;
  const dy = tf.randomNormal([2, 5, 7, 4], 0, 1, "float32", 10) as tf.Tensor4D;
  const composed = (t: tf.Tensor4D) => {
    const { mean, variance } = tf.moments(t, [1, 2], true);
    return tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  };
  const [ours] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(instanceNorm(t as tf.Tensor4D), dy)))([x]);
  const [ref] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(composed(t as tf.Tensor4D), dy)))([x]);
  const a = ours.dataSync(), b = ref.dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `dx[${i}] ${a[i]} vs ${b[i]}`);
  const y = instanceNorm(x).dataSync(), yRef = composed(x).dataSync();
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - yRef[i]) < 1e-6);
  tf.dispose([x, dy, ours, ref]);
});

Deno.test("lossesGrads() runs the forward pass once and gives each loss the gradients of its own variables, as separate passes would", () => {
  // G → D: loss_G depends on g (through d), loss_D on d only (g's output is a constant to it).
  const g = tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 0.3, "float32", 5), true, "tape_multi_g");
  const d = tf.variable(tf.randomNormal([3, 3, 8, 4], 0, 0.3, "float32", 6), true, "tape_multi_d");
  const x = tf.randomNormal([1, 12, 10, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  let convs = 0;
  const generate = () => tf.relu(instanceNorm(tf.conv2d(x, g as tf.Tensor4D, 1, "same")));
  const discriminate = (
    fake: tf.Tensor4D,
  ) => (convs++, tf.leakyRelu(tf.conv2d(fake, d as tf.Tensor4D, 1, "same"), 0.2));
  const lossG = (pred: tf.Tensor) => tf.mean(tf.square(tf.sub(pred, 1))) as tf.Scalar;
  const lossD = (pred: tf.Tensor) => tf.mean(tf.square(pred)) as tf.Scalar;

  const before = tf.memory().numTensors;
  const shared = lossesGrads(() => {
    const pred = discriminate(generate());
    return [lossD(pred), lossG(pred)];
  }, [[d], [g]]);
  assert.equal(convs, 1, "D ran once");
  assert.deepEqual(Object.keys(shared.grads[0]), [d.name], "loss_D: D's gradient only");
  assert.deepEqual(Object.keys(shared.grads[1]), [g.name], "loss_G: G's gradient only");
  assert.equal(tf.memory().numTensors, before + 4, "the two values and two gradients are all that is left");

  const separateG = variableGrads(() => lossG(discriminate(generate())), [g]);
  const fake = generate(); // a constant to loss_D
  const separateD = variableGrads(() => lossD(discriminate(fake)), [d]);
  const pairs: [tf.Tensor, tf.Tensor][] = [
    [shared.values[0], separateD.value],
    [shared.values[1], separateG.value],
    [shared.grads[0][d.name], separateD.grads[d.name]],
    [shared.grads[1][g.name], separateG.grads[g.name]],
  ];
  for (const [a, b] of pairs) assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose(pairs.flat());
  tf.dispose([fake, g, d, x]);
});

Deno.test("lossesGrads() cleans the tape when a loss reaches none of its variables", () => {
  const net = makeNet();
  const other = tf.variable(tf.scalar(1), true, "tape_multi_unused");
  const before = tf.memory().numTensors;
  assert.throws(() => lossesGrads(() => [net.loss(), net.loss()], [net.vars, [other]]), /connection/);
  assert.throws(() => lossesGrads(() => [net.loss()], [net.vars, net.vars]), /2 scalar/);
  assert.equal(tf.memory().numTensors, before);
  assert.equal((tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape, null);
  other.dispose();
  net.dispose();
});
