import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { loadNpy } from "../../../formats/npy.ts";
import { loadPth } from "../../../formats/pth.ts";
import { toFloat32 } from "../../../formats/ndarray.ts";
import type { Sample } from "../../../kernel/plugin.ts";
import { Encoder } from "../../../plugins/networks/encoder.ts";
import { clusterRows, encodeFeatures } from "../../../plugins/features/encode_features.ts";

await tf.setBackend("cpu");
const PARITY = new URL("../../fixtures/pytorch-parity/", import.meta.url);
const expected = JSON.parse(await Deno.readTextFile(new URL("fixtures/encoded_rows.json", import.meta.url)));

async function npy(name: string) {
  return await loadNpy(new URL(name, PARITY).pathname);
}

/** The parity sample (real image and instance map) as NHWC tensors. */
async function paritySample(): Promise<Sample> {
  const real = await npy("real_image.npy"), inst = await npy("inst.npy");
  const [, c, h, w] = real.shape;
  return tf.tidy(() => ({
    name: "parity",
    image: tf.transpose(tf.tensor4d(toFloat32(real), [1, c, h, w]), [0, 2, 3, 1]),
    inst: tf.reshape(tf.tensor(inst.data as Int32Array, [1, h, w, 1], "int32"), [1, h, w, 1]),
  }));
}

async function* once(sample: Sample) {
  yield sample;
}

Deno.test("encodeFeatures() with the official encoder weights gives the official rows (1e-4)", async () => {
  const encoder = new Encoder({ input_nc: 3, feat_num: 3, nef: 4, n_downsample_E: 2 });
  encoder.loadStateDict(await loadPth(new URL("E_encoder.pth", PARITY).pathname), "E_encoder.pth");
  const before = tf.memory().numTensors;
  const result = await encodeFeatures(once(await paritySample()), encoder, {
    label_nc: 5,
    feat_num: 3,
    n_clusters: 10,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.images, 1);
  for (const [label, rows] of Object.entries(expected.pooled as Record<string, number[][]>)) {
    const got = result.rows.get(Number(label))!;
    rows.forEach((row, r) =>
      row.forEach((v, k) => assert.ok(Math.abs(got[r][k] - v) < 1e-4, `${label}/${r}/${k}`))
    );
  }
  // every class has ≤ 10 rows, so its centres are its area-filtered rows themselves
  for (const [label, rows] of Object.entries(expected.filtered as Record<string, number[][]>)) {
    const centres = result.clusters.centres.get(Number(label))!;
    assert.equal(centres.length, rows.length);
    for (const row of rows) {
      assert.ok(centres.some((c) => c.every((v, k) => Math.abs(v - row[k]) < 1e-4)), `class ${label}`);
    }
  }
  encoder.dispose();
});

Deno.test("clusterRows() applies the area filter and k = min(rows, n_clusters) per class", () => {
  const rows = new Map([
    [1, [[0, 0, 1], [0.1, 0, 1], [5, 5, 1], [5.1, 5, 1], [9, 9, 0.5]]],
    [2, [[1, 1, 0.2]]],
  ]);
  const clusters = clusterRows(rows, { label_nc: 3, feat_num: 2, n_clusters: 2, seed: 0 });
  assert.deepEqual([...clusters.centres.keys()], [1]);
  const centres = clusters.centres.get(1)!.map((c) => c.map((v) => Math.round(v * 100) / 100));
  assert.deepEqual(centres.sort((a, b) => a[0] - b[0]), [[0.05, 0], [5.05, 5]]);
  assert.deepEqual(
    clusterRows(rows, { label_nc: 3, feat_num: 2, n_clusters: 2, seed: 0 }).centres,
    clusters.centres,
  );
});

Deno.test("encodeFeatures() names the sample that lacks a photo, and an empty dataset", async () => {
  const encoder = { apply: (x: tf.Tensor4D) => x };
  const sample = { name: "a", labelPath: "train_label/a.png", inst: tf.zeros([1, 4, 4, 1], "int32") };
  await assert.rejects(
    encodeFeatures(once(sample), encoder, { label_nc: 3, feat_num: 3, n_clusters: 10 }),
    /train_label\/a\.png: encoding features needs "image"/,
  );
  assert.ok(sample.inst.isDisposed);
  await assert.rejects(
    encodeFeatures((async function* () {})(), encoder, { label_nc: 3, feat_num: 3, n_clusters: 10 }),
    /dataset: has no samples to encode/,
  );
});
