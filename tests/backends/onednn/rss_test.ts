import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { enableOneDnnKernels, oneDnnInfo } from "../../../backends/onednn/mod.ts";
import { variableGrads } from "../../../backends/tape.ts";
import { instanceNorm } from "../../../plugins/networks/_layers/norm.ts";
import { Adam } from "../../../plugins/optim/adam.ts";
import { ONEDNN, seeded } from "./conv_helpers.ts";

Deno.test({
  name:
    "onednn training-like steps (convs, pools, instance norm, Adam) keep tensors, native memory (RSS) and the primitive cache flat",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await tf.setBackend("wasm");
    enableOneDnnKernels();
    const x = tf.tensor4d(seeded(1 * 32 * 64 * 16, 81), [1, 32, 64, 16]);
    const w1 = tf.variable(tf.tensor4d(seeded(3 * 3 * 16 * 32, 82), [3, 3, 16, 32]));
    const w2 = tf.variable(tf.tensor4d(seeded(4 * 4 * 32 * 8, 83), [4, 4, 32, 8]));
    const adam = new Adam(new Map([["w1", w1], ["w2", w2]]), { lr: 1e-3 });
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = variableGrads(() => {
          const h = tf.relu(instanceNorm(tf.conv2d(x, w1, 2, 1)));
          const pooled = tf.add(tf.maxPool(h, 2, 2, "valid"), tf.avgPool(h, 2, 2, "valid")) as tf.Tensor4D;
          return tf.mean(tf.square(tf.conv2d(pooled, w2, 1, 2)));
        }, [w1, w2]);
        adam.step(new Map([["w1", grads[w1.name]], ["w2", grads[w2.name]]]));
        tf.dispose([value, ...Object.values(grads)]);
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
    const kinds = [...oneDnnInfo().primitives.keys()].map((k) => k.split(",")[0]);
    for (const kind of ["max_backward", "avg_backward", "reduce_mean"]) assert.ok(kinds.includes(kind), kind);
    adam.dispose();
    tf.dispose([x, w1, w2]);
  },
});
