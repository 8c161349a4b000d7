import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { Rng } from "../../../kernel/random.ts";
import { ImagePool } from "../../../plugins/train/image_pool.ts";

await tf.setBackend("cpu");

function image(value: number): tf.Tensor4D {
  return tf.fill([1, 2, 2, 1], value) as tf.Tensor4D;
}

function firstValue(t: tf.Tensor): number {
  return t.dataSync()[0];
}

Deno.test("ImagePool(0) returns its input unchanged and draws nothing", () => {
  const rng = new Rng(1);
  const pool = new ImagePool(0, rng);
  const x = image(3);
  assert.equal(pool.query(x), x);
  assert.deepEqual(rng.state(), new Rng(1).state());
  x.dispose();
});

Deno.test("ImagePool fills up first, then swaps a stored input with probability ½ (official util/image_pool.py)", () => {
  const before = tf.memory().numTensors;
  const rng = new Rng(7);
  const mirror = new Rng(7);
  const pool = new ImagePool(2, rng);
  const stored = [1, 2];
  for (const v of [1, 2]) {
    const x = image(v);
    const out = tf.tidy(() => pool.query(x));
    assert.equal(firstValue(out), v);
    tf.dispose([x, out]);
  }
  for (let v = 3; v < 40; v++) {
    let expected = v;
    if (mirror.next() > 0.5) {
      const id = mirror.int(2);
      expected = stored[id];
      stored[id] = v;
    }
    const x = image(v);
    const out = tf.tidy(() => pool.query(x));
    assert.equal(firstValue(out), expected, `query ${v}`);
    tf.dispose([x, out]);
  }
  assert.deepEqual(pool.contents().map(firstValue), stored);
  pool.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("ImagePool.restore() continues exactly where a saved pool left off", () => {
  const rng = new Rng(5);
  const a = new ImagePool(3, rng);
  for (let v = 0; v < 6; v++) tf.dispose(tf.tidy(() => a.query(image(v))));
  const b = new ImagePool(3, Rng.from(rng.state()));
  b.restore(a.contents().map((t) => tf.clone(t)));
  const outs = [a, b].map((p) => firstValue(tf.tidy(() => p.query(image(9)))));
  assert.equal(outs[0], outs[1]);
  assert.deepEqual(a.contents().map(firstValue), b.contents().map(firstValue));
  a.dispose();
  b.dispose();
});

Deno.test("ImagePool.restore() rejects more inputs than its size", () => {
  const pool = new ImagePool(1, new Rng(0));
  const xs = [image(1), image(2)];
  assert.throws(() => pool.restore(xs), /holds at most 1 inputs: current value is 2/);
  tf.dispose(xs);
});
