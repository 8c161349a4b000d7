import assert from "node:assert/strict";
import { DataError } from "../../../kernel/errors.ts";
import { tf } from "../../../backends/tf.ts";
import { encodeSample } from "../../../plugins/data/transforms.ts";
import { pipeline } from "../../../kernel/pipeline.ts";
import "../../../plugins/mod.ts";
import { writeTinyAde20k } from "./_layouts.ts";

await tf.ready();

/** An RGB input [1,4,6,3] and an instance map with two instances side by side (x < 3, x ≥ 3). */
function rgbSample(withInst: boolean) {
  const label = tf.randomUniform([1, 4, 6, 3], -1, 1, "float32", 7) as tf.Tensor4D;
  const ids = Array.from({ length: 24 }, (_, i) => (i % 6 < 3 ? 1 : 2));
  const inst = tf.tensor4d(ids, [1, 4, 6, 1], "int32");
  if (!withInst) inst.dispose();
  return withInst
    ? { name: "x", labelPath: "train_A/x.png", label, inst }
    : { name: "x", labelPath: "train_A/x.png", label };
}

Deno.test("encodeSample with label_nc 0 appends the instance boundaries to the RGB input (official encode_input)", async () => {
  const before = tf.memory().numTensors;
  const s = await encodeSample(rgbSample(true), { label_nc: 0 });
  const input = s.input as tf.Tensor4D;
  assert.deepEqual(input.shape, [1, 4, 6, 4]);
  const rgb = tf.slice(input, [0, 0, 0, 0], [1, -1, -1, 3]);
  const edge = tf.slice(input, [0, 0, 0, 3], [1, -1, -1, 1]);
  assert.deepEqual(await rgb.data(), await (s.label as tf.Tensor).data());
  // Boundary on both sides of the x = 2 | x = 3 border, on every row.
  const row = [0, 0, 1, 1, 0, 0];
  assert.deepEqual([...await edge.data()], [...row, ...row, ...row, ...row]);
  tf.dispose([rgb, edge, ...Object.values(s).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("encodeSample with label_nc 0 and no_instance gives the RGB input alone", async () => {
  const s = await encodeSample(rgbSample(false), { label_nc: 0, no_instance: true });
  assert.deepEqual((s.input as tf.Tensor).shape, [1, 4, 6, 3]);
  tf.dispose(Object.values(s).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
});

Deno.test("encodeSample with label_nc 0 and no instance map names the file and both fixes", async () => {
  const sample = rgbSample(false);
  await assert.rejects(
    () => encodeSample(sample, { label_nc: 0 }),
    (e: Error) =>
      e instanceof DataError && e.message.startsWith("train_A/x.png: has no instance map") &&
      /--no_instance/.test(e.message),
  );
  sample.label.dispose();
});

Deno.test("a dataset's label_nc and no_instance flow to one-hot and encode-input without being repeated", async () => {
  const root = await writeTinyAde20k(1);
  const before = tf.memory().numTensors;
  const shapes: number[][] = [];
  const encode = pipeline().use("one-hot").use("encode-input");
  for await (
    const s of pipeline()
      .from("ade20k", { dataroot: root, phase: "train", resize_or_crop: "none", prefetch: 0 })
      .use(encode)
      .stream()
  ) {
    shapes.push((s.oneHot as tf.Tensor).shape, (s.input as tf.Tensor).shape);
    for (const v of Object.values(s)) if (v instanceof tf.Tensor) v.dispose();
  }
  // ADE20K: 151 classes, no instance maps, so no boundary channel
  assert.deepEqual(shapes, [[1, 32, 64, 151], [1, 32, 64, 151]]);
  assert.equal(tf.memory().numTensors, before);
});
