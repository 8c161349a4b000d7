import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { createLogger } from "../../../kernel/log.ts";
import { encodeSource } from "../../../plugins/features/encode_source.ts";
import { SAMPLE } from "./_tiny_model.ts";

await tf.setBackend("cpu");

const cropConfig = {
  label_nc: 35,
  dataroot: SAMPLE,
  resize_or_crop: "scale_width_and_crop",
  loadSize: 128,
  fineSize: 32,
};

async function firstImageShape(options: Parameters<typeof encodeSource>[1]): Promise<number[]> {
  const kernel = { backend: "cpu", log: createLogger("error") };
  const source = encodeSource(cropConfig, { max_dataset_size: 1, ...options }, kernel);
  for await (const sample of source.samples(kernel)) {
    const shape = (sample.image as tf.Tensor4D).shape;
    for (const v of Object.values(sample)) if (v instanceof tf.Tensor) v.dispose();
    return shape;
  }
  throw new Error("no sample");
}

Deno.test("encoding a model trained on crops reads the crops of its training config by default", async () => {
  assert.deepEqual(await firstImageShape({}), [1, 32, 32, 3]);
});

Deno.test("resize_or_crop and loadSize given to encode_features replace the training config's", async () => {
  assert.deepEqual(await firstImageShape({ resize_or_crop: "scale_width" }), [1, 64, 128, 3]);
  assert.deepEqual(await firstImageShape({ resize_or_crop: "scale_width", loadSize: 64 }), [1, 32, 64, 3]);
});
