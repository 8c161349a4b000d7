import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { tf } from "../../../backends/tf.ts";
import { Encoder } from "../../../plugins/networks/encoder.ts";
import { featurePath, precomputeFeatureMaps } from "../../../plugins/features/precompute.ts";
import { imageToPng, imageToRaster } from "../../../plugins/data/write_image.ts";

await tf.setBackend("cpu");

async function* samples(n: number) {
  for (let i = 0; i < n; i++) {
    const ids = new Int32Array(8 * 8).map((_, p) => (p % 8 < 4 ? 7 : 26001 + i));
    yield {
      name: `s${i}`,
      labelPath: `/data/train_label/s${i}_gtFine_labelIds.png`,
      image: tf.randomUniform([1, 8, 8, 3], -1, 1, "float32", i) as tf.Tensor4D,
      inst: tf.tensor4d(ids, [1, 8, 8, 1], "int32"),
    };
  }
}

Deno.test("imageToRaster() is the official tensor2im: (x + 1) / 2 · 255 in float32, clipped, truncated", async () => {
  const x = tf.tensor4d([-1, -0.5, 0, 0.999, 1, 2, -3, 0.00392], [1, 1, 8, 1]);
  const r = await imageToRaster(x);
  assert.deepEqual([...r.data], [0, 63, 127, 254, 255, 255, 0, 127]);
  const png = decode(await imageToPng(tf.zeros([1, 2, 3, 3]) as tf.Tensor4D));
  assert.deepEqual([png.width, png.height, png.channels, png.depth], [3, 2, 3, 8]);
  x.dispose();
});

Deno.test("precomputeFeatureMaps() writes each sample's pooled features ×2 nearest as {phase}_feat/<label>.png", async () => {
  const dir = await Deno.makeTempDir();
  const encoder = new Encoder({ nef: 4, n_downsample_E: 2, seed: 3 });
  const before = tf.memory().numTensors;
  const files = await precomputeFeatureMaps(samples(2), encoder, { outDir: join(dir, "train_feat") });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(files, [0, 1].map((i) => join(dir, "train_feat", `s${i}_gtFine_labelIds.png`)));
  // the picture is the pooled features, tensor2im'ed, each pixel repeated 2×2
  for await (const s of samples(1)) {
    const pooled = encoder.apply(s.image, s.inst);
    const want = await imageToRaster(pooled);
    const png = decode(await Deno.readFile(files[0]));
    assert.deepEqual([png.width, png.height, png.channels], [16, 16, 3]);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        for (let c = 0; c < 3; c++) {
          assert.equal(png.data[(y * 16 + x) * 3 + c], want.data[((y >> 1) * 8 + (x >> 1)) * 3 + c]);
        }
      }
    }
    tf.dispose([pooled, s.image, s.inst]);
  }
  assert.equal(
    featurePath("/d/test_label/a.b_labelIds.png", "/d/test_feat"),
    "/d/test_feat/a.b_labelIds.png",
  );
  encoder.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("precomputeFeatureMaps() refuses an encoder whose feat_num is not 3", async () => {
  const encoder = new Encoder({ nef: 4, n_downsample_E: 2, feat_num: 2 });
  const dir = await Deno.makeTempDir();
  await assert.rejects(precomputeFeatureMaps(samples(1), encoder, { outDir: dir }), /"feat_num" must be 3/);
  encoder.dispose();
  await Deno.remove(dir, { recursive: true });
});
