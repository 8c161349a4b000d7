import assert from "node:assert/strict";
import { DataError, OptionsError } from "../../../kernel/errors.ts";
import { createLogger } from "../../../kernel/log.ts";
import { registry } from "../../../kernel/registry.ts";
import { defineDataset } from "../../../plugins/data/dataset_plugin.ts";
import { datasetSchema } from "../../../plugins/data/source.ts";
import { openTrainingData, withDatasetDefaults } from "../../../plugins/train/data.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { writeTinyAde20k } from "../data/_layouts.ts";
import { writeTinyDataset } from "./_fixtures.ts";

const quiet = createLogger("silent");

Deno.test("a new run takes its dataset's name and implied options; typed ones win; a resumed run keeps its own", async () => {
  const ade = await writeTinyAde20k(1), aligned = await writeTinyDataset(1);
  assert.deepEqual(await withDatasetDefaults({ dataroot: ade }), {
    dataroot: ade,
    dataset: "ade20k",
    label_nc: 151,
    no_instance: true,
  });
  assert.deepEqual(await withDatasetDefaults({ dataroot: ade, label_nc: 160 }), {
    dataroot: ade,
    dataset: "ade20k",
    label_nc: 160,
    no_instance: true,
  });
  assert.deepEqual(await withDatasetDefaults({ dataroot: aligned, label_nc: 4 }), {
    dataroot: aligned,
    dataset: "aligned",
    label_nc: 4,
  });
  assert.deepEqual(await withDatasetDefaults({ continue_train: true }), { continue_train: true });
});

Deno.test("training refuses a dataset without photos, and load_features on one without feature maps", async () => {
  const root = await writeTinyAde20k(1);
  registry.register(defineDataset({
    name: "labels-only-test",
    description: "label maps without photos",
    schema: datasetSchema,
    dataset: {
      layout: "labels only",
      detect: () => false,
      index: () => ({ entries: [], folders: {}, counts: {}, problems: [] }),
      label_nc: 3,
      palette: null,
      instances: false,
      photos: false,
      features: false,
    },
  }));
  await assert.rejects(
    () => openTrainingData(resolveTrainOptions({ dataroot: root, dataset: "labels-only-test" }), quiet),
    (e: Error) =>
      e instanceof DataError && /"labels-only-test" dataset, which has no photos to train on/.test(e.message),
  );
  const opts = resolveTrainOptions({ dataroot: root, dataset: "ade20k", label_nc: 151, instance_feat: true });
  opts.load_features = true;
  await assert.rejects(
    () => openTrainingData(opts, quiet),
    (e: Error) => e instanceof OptionsError && /dataset "ade20k" has none of/.test(e.message),
  );
});
