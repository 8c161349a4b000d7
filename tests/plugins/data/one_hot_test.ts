import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../../../kernel/errors.ts";
import { tf } from "../../../backends/tf.ts";
import { readImageFile } from "../../../plugins/data/decode.ts";
import { toInstanceIds, toLabelIds } from "../../../plugins/data/maps.ts";
import { oneHot } from "../../../plugins/data/one_hot.ts";
import { idsToTensor } from "../../../plugins/data/sample_tensors.ts";
import { encodeSample } from "../../../plugins/data/transforms.ts";
import { PARITY } from "./helpers.ts";
import { nchwToNhwc, readNpyFile } from "./npy.ts";

await tf.ready();

async function fixtureSample() {
  return {
    name: "fixture",
    labelPath: join(PARITY, "label.png"),
    label: idsToTensor(toLabelIds(await readImageFile(join(PARITY, "label.png")), "label.png")),
    inst: idsToTensor(toInstanceIds(await readImageFile(join(PARITY, "inst.png")), "inst.png")),
  };
}

Deno.test("one-hot of label.png over 5 classes equals one_hot.npy", async () => {
  const before = tf.memory().numTensors;
  const s = await fixtureSample();
  const encoded = await oneHot(s.label, 5);
  assert.deepEqual(encoded.shape, [1, 32, 64, 5]);
  assert.deepEqual(
    Array.from(await encoded.data()),
    Array.from(nchwToNhwc(await readNpyFile(join(PARITY, "one_hot.npy")))),
  );
  tf.dispose([s.label, s.inst, encoded]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("encodeSample builds the generator input concat(one-hot, edge) equal to input_label.npy", async () => {
  const before = tf.memory().numTensors;
  const s = await encodeSample(await fixtureSample(), { label_nc: 5 });
  const input = s.input as tf.Tensor;
  assert.deepEqual(input.shape, [1, 32, 64, 6]);
  assert.deepEqual(
    Array.from(await input.data()),
    Array.from(nchwToNhwc(await readNpyFile(join(PARITY, "input_label.npy")))),
  );
  tf.dispose(["label", "inst", "edge", "oneHot", "input"].map((k) => s[k as keyof typeof s] as tf.Tensor));
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("ids ≥ label_nc are an error naming the file, each id and its pixel count", async () => {
  const before = tf.memory().numTensors;
  const label = tf.tensor4d([0, 1, 7, 7, 9, 1], [1, 2, 3, 1], "int32");
  await assert.rejects(
    () => oneHot(label, 5, { files: ["city/a.png"] }),
    (e: Error) =>
      e instanceof DataError && e.file === "city/a.png" &&
      /id 7 \(2 px\), id 9 \(1 px\) outside 0…4/.test(e.message) &&
      /raise label_nc to 10/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before + 1);
  label.dispose();
});

Deno.test("ids ≥ label_nc map to an ignore class or to an all-zero vector when asked", async () => {
  const label = tf.tensor4d([0, 2, 7], [1, 1, 3, 1], "int32");
  const toZero = await oneHot(label, 3, { unknown_label: 0 });
  assert.deepEqual(Array.from(await toZero.data()), [1, 0, 0, 0, 0, 1, 1, 0, 0]);
  const ignored = await oneHot(label, 3, { unknown_label: -1 });
  assert.deepEqual(Array.from(await ignored.data()), [1, 0, 0, 0, 0, 1, 0, 0, 0]);
  await assert.rejects(
    () => oneHot(label, 3, { unknown_label: 3 }),
    /unknown_label must be -1 or a class id below 3/,
  );
  tf.dispose([label, toZero, ignored]);
});
