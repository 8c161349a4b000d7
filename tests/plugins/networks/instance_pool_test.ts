import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { instanceMeans } from "../../../plugins/networks/_layers/instance_pool.ts";

Deno.test("instanceMeans() at 2048×1024 gives a million-pixel instance its float64 mean (wasm and cpu)", async () => {
  const [h, w, c] = [1024, 2048, 3];
  const features = new Float32Array(h * w * c);
  const inst = new Int32Array(h * w);
  let s = 3;
  for (let i = 0; i < h * w; i++) {
    inst[i] = i < (h * w) / 2 ? 7000 : 26001 + (i % 5); // one huge instance, five interleaved ones
    for (let j = 0; j < c; j++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      features[i * c + j] = 0.5 + j + s / 2 ** 32;
    }
  }
  const expected = new Float64Array(c);
  for (let i = 0; i < (h * w) / 2; i++) for (let j = 0; j < c; j++) expected[j] += features[i * c + j];
  for (let j = 0; j < c; j++) expected[j] /= (h * w) / 2;
  for (const backend of ["wasm", "cpu"]) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(features, [1, h, w, c]), ids = tf.tensor4d(inst, [1, h, w, 1], "int32");
    const pooled = instanceMeans(x, ids);
    const corner = tf.slice(pooled, [0, 0, 0, 0], [1, 1, 1, c]);
    const first = await corner.data();
    tf.dispose([x, ids, pooled, corner]);
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
    for (let j = 0; j < c; j++) {
      const rel = Math.abs(first[j] - expected[j]) / expected[j];
      assert.ok(rel <= 1e-6, `${backend}: channel ${j} mean off by ${rel.toExponential(2)} (relative)`);
    }
  }
});
