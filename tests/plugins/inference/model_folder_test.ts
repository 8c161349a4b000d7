import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { saveSafetensors } from "../../../formats/safetensors.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { openModelFolder } from "../../../plugins/inference/model_folder.ts";
import { SAMPLE, saveTinyModel } from "../features/_tiny_model.ts";

await tf.setBackend("cpu");

const entry = {
  name: "frankfurt_000000_000576",
  label: join(SAMPLE, "test_label/frankfurt_000000_000576_gtFine_labelIds.png"),
  inst: join(SAMPLE, "test_inst/frankfurt_000000_000576_gtFine_instanceIds.png"),
};

Deno.test("a model folder without instance features synthesizes at the given width, with no clusters", async () => {
  const dir = join(await Deno.makeTempDir(), "labels_only");
  await Deno.mkdir(dir);
  const G = new GlobalGenerator({
    input_nc: 36,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    seed: 1,
  });
  const config = { label_nc: 35, instance_feat: false, no_instance: false };
  await saveSafetensors(join(dir, "latest_net_G.safetensors"), G.stateDict(), {
    config: JSON.stringify(config),
  });
  G.dispose();
  const before = tf.memory().numTensors;
  const model = await openModelFolder(dir, 64);
  assert.equal(model.clusters, null);
  assert.equal(model.weights, join(dir, "latest_net_G.safetensors"));
  const result = await (await model.synthesizer(3)).synthesize(entry);
  assert.deepEqual(result.image.shape, [1, 32, 64, 3]);
  result.image.dispose();
  model.generator.net.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a model folder with instance features but no clusters says to run encode_features", async () => {
  const dir = join(await Deno.makeTempDir(), "feat");
  await saveTinyModel(dir);
  const before = tf.memory().numTensors;
  await assert.rejects(
    openModelFolder(dir, 64),
    /feat.*has no clusters_010\.json: run `deno task encode_features` for this model/,
  );
  assert.equal(tf.memory().numTensors, before);
});
