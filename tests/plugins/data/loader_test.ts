import assert from "node:assert/strict";
import { log } from "../../../kernel/log.ts";
import { resolveOptions } from "../../../kernel/options.ts";
import type { Sample, SourceStage } from "../../../kernel/plugin.ts";
import { tf } from "../../../kernel/tf.ts";
import { alignedDataset } from "../../../plugins/data/datasets/aligned.ts";
import { loadEpoch, stackSamples } from "../../../plugins/data/loader.ts";
import { boundaries, generatorInput, oneHotTransform } from "../../../plugins/data/transforms.ts";
import { BUNDLED } from "./helpers.ts";

await tf.ready();
const ctx = { backend: tf.getBackend(), log };

Deno.test("loadEpoch yields encoded batches (boundaries, one-hot, input) without leaking tensors", async () => {
  const before = tf.memory().numTensors;
  const source = alignedDataset.create(
    resolveOptions("aligned", alignedDataset.schema, {
      dataroot: BUNDLED,
      loadSize: 64,
      max_dataset_size: 4,
      batchSize: 2,
    }),
    ctx,
  );
  const transforms = [
    boundaries.create(resolveOptions("boundaries", boundaries.schema, {}), ctx),
    oneHotTransform.create(resolveOptions("one-hot", oneHotTransform.schema, { label_nc: 35 }), ctx),
    generatorInput.create(resolveOptions("generator-input", generatorInput.schema, { label_nc: 35 }), ctx),
  ];
  let batches = 0;
  for await (const batch of loadEpoch(source, ctx, { batchSize: 2, transforms })) {
    batches++;
    assert.equal((batch.name as string[]).length, 2);
    assert.deepEqual((batch.input as tf.Tensor).shape, [2, 32, 64, 36]);
    assert.deepEqual((batch.image as tf.Tensor).shape, [2, 32, 64, 3]);
    const sum = tf.sum(batch.oneHot as tf.Tensor);
    assert.equal((await sum.data())[0], 2 * 32 * 64); // exactly one class per pixel
    sum.dispose();
    tf.dispose(Object.values(batch).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  }
  assert.equal(batches, 2);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("breaking out of an epoch early disposes the samples read for the unfinished batch", async () => {
  const before = tf.memory().numTensors;
  const source: SourceStage = {
    kind: "source",
    name: "three",
    gives: ["x"],
    async *samples() {
      for (let i = 0; i < 3; i++) yield { name: String(i), x: tf.fill([1, 2, 2, 1], i) } as Sample;
    },
  };
  for await (const batch of loadEpoch(source, ctx, { batchSize: 2 })) {
    assert.deepEqual((batch.x as tf.Tensor).shape, [2, 2, 2, 1]);
    (batch.x as tf.Tensor).dispose();
    break;
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("samples of different sizes cannot be stacked: the error names them and the fix", () => {
  const a = { name: "a", x: tf.zeros([1, 2, 2, 1]) }, b = { name: "b", x: tf.zeros([1, 3, 2, 1]) };
  assert.throws(() => stackSamples([a, b]), /Cannot batch samples a, b: "x" sizes differ \(2×2×1, 3×2×1\)/);
  tf.dispose([a.x, b.x]);
});
