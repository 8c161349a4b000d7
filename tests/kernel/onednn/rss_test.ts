import assert from "node:assert/strict";
import { tf } from "../../../kernel/tf.ts";
import { enableOneDnnKernels, oneDnnInfo } from "../../../kernel/onednn/mod.ts";
import { ONEDNN, seeded } from "./conv_helpers.ts";

Deno.test({
  name: "onednn training-like steps keep tensors, native memory (RSS) and the primitive cache flat",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await tf.setBackend("wasm");
    enableOneDnnKernels();
    const x = tf.tensor4d(seeded(1 * 32 * 64 * 16, 81), [1, 32, 64, 16]);
    const w1 = tf.variable(tf.tensor4d(seeded(3 * 3 * 16 * 32, 82), [3, 3, 16, 32]));
    const w2 = tf.variable(tf.tensor4d(seeded(4 * 4 * 32 * 8, 83), [4, 4, 32, 8]));
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const h = tf.relu(tf.conv2d(x, w1, 2, 1));
          return tf.mean(tf.square(tf.conv2d(h, w2, 1, 2)));
        });
        w1.assign(tf.sub(w1, tf.mul(grads[w1.name], 1e-3)));
        w2.assign(tf.sub(w2, tf.mul(grads[w2.name], 1e-3)));
      });
    // RSS less the JS heap: the JS heap breathes with garbage collection (±20 MiB here), native
    // memory (oneDNN primitives, the wasm heap) must not grow. A primitive leaked per step grows it
    // by about 0.2 MiB per step.
    const nativeRss = () => Deno.memoryUsage().rss - Deno.memoryUsage().heapTotal;
    for (let i = 0; i < 50; i++) step();
    const tensors = tf.memory().numTensors;
    const created = oneDnnInfo().created;
    const rss = nativeRss();
    for (let i = 0; i < 300; i++) step();
    const grown = nativeRss() - rss;
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked");
    assert.equal(oneDnnInfo().created, created, "primitives were created after warm-up: the cache missed");
    assert.ok(
      grown < 8 << 20,
      `RSS without the JS heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB in 300 steps`,
    );
    tf.dispose([x, w1, w2]);
  },
});
