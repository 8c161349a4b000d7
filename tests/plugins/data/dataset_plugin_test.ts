import assert from "node:assert/strict";
import { join } from "node:path";
import { OptionsError } from "../../../kernel/errors.ts";
import { createLogger } from "../../../kernel/log.ts";
import { disposeAll } from "../../../kernel/memory.ts";
import { definePlugin } from "../../../kernel/plugin.ts";
import { tf } from "../../../backends/tf.ts";
import {
  datasetOptionsOf,
  defineDataset,
  isDatasetPlugin,
  readOptionsFor,
} from "../../../plugins/data/dataset_plugin.ts";
import { alignedDataset } from "../../../plugins/data/datasets/aligned.ts";
import { loadPalette } from "../../../plugins/data/palettes/mod.ts";
import { datasetSchema } from "../../../plugins/data/source.ts";
import { mapOf, writePng } from "./helpers.ts";

await tf.setBackend("cpu");
const ctx = { backend: "cpu", log: createLogger("silent") };

Deno.test("datasetOptionsOf takes a dataset's own keys from a recipe's options; a null where a value is due keeps the default", () => {
  const o = datasetOptionsOf(alignedDataset, {
    dataroot: "d",
    label_nc: null,
    ngf: 64,
    match: "order",
    max_dataset_size: null,
  });
  assert.deepEqual([o.dataroot, o.label_nc, o.match, o.max_dataset_size], ["d", 35, "order", null]);
  assert.ok(!("ngf" in o));
  assert.throws(
    () => datasetOptionsOf(alignedDataset, { match: "size" }),
    (e: Error) =>
      e instanceof OptionsError && e.message.startsWith('Cannot configure aligned: "match" must be one of'),
  );
});

Deno.test("a defineDataset without create streams what its index finds, read through its label colours", async () => {
  const dir = await Deno.makeTempDir();
  const palette = loadPalette("cityscapes");
  const rgb = new Uint8Array(8 * 4 * 3);
  for (let i = 0; i < 32; i++) rgb.set(palette.colors[i % 8 < 4 ? 7 : 26], i * 3);
  await writePng(join(dir, "a.png"), 8, 4, rgb, 3);
  await writePng(join(dir, "a_photo.png"), 8, 4, mapOf(8, 4, () => 200));
  const plugin = defineDataset({
    name: "one-pair",
    description: "one colour-coded pair",
    schema: datasetSchema,
    dataset: {
      layout: "a.png + a_photo.png",
      detect: () => true,
      index: (o) => ({
        entries: [{ name: "a", label: join(o.dataroot!, "a.png"), image: join(o.dataroot!, "a_photo.png") }],
        folders: {},
        counts: {},
        problems: [],
      }),
      label_nc: 35,
      palette,
      instances: false,
      photos: true,
      features: false,
      labelColors: () => palette,
    },
  });
  assert.deepEqual([plugin.role, plugin.provides], ["dataset", ["dataset"]]);
  const o = datasetOptionsOf(plugin, { dataroot: dir, loadSize: 8, prefetch: 0, no_flip: true });
  assert.equal(readOptionsFor(plugin, o).palette, palette);
  const samples = [];
  for await (const s of plugin.create(o, ctx).samples(ctx)) samples.push(s);
  assert.equal(samples.length, 1);
  assert.deepEqual(Array.from(await (samples[0].label as tf.Tensor).data()).slice(0, 8), [
    7,
    7,
    7,
    7,
    26,
    26,
    26,
    26,
  ]);
  disposeAll(samples);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("isDatasetPlugin tells a dataset plugin with its facts from other plugins", () => {
  assert.ok(isDatasetPlugin(alignedDataset));
  const bare = definePlugin({
    name: "bare-source",
    role: "dataset",
    description: "a source without facts",
    provides: ["dataset"],
    schema: {},
    create: () => ({
      kind: "source" as const,
      name: "bare-source",
      gives: [],
      samples: async function* () {},
    }),
  });
  assert.ok(!isDatasetPlugin(bare));
});
