import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { findClustersFile, saveClusters } from "../../../plugins/features/clusters.ts";
import { findFeatureModel, openEditor } from "../../../plugins/editing/editor.ts";
import { saveScene } from "../../../plugins/editing/scene_io.ts";
import { Scene } from "../../../plugins/editing/scene.ts";
import { saveTinyModel } from "../features/_tiny_model.ts";
import { sceneMaps } from "./_scene.ts";

await tf.setBackend("cpu");

Deno.test("findFeatureModel() and findClustersFile() locate a model with an encoder and its clusters", async () => {
  const root = await Deno.makeTempDir();
  assert.equal(findFeatureModel(root), null);
  await saveTinyModel(join(root, "b_model"));
  await Deno.mkdir(join(root, "a_empty"));
  assert.deepEqual(findFeatureModel(root), { dir: join(root, "b_model"), which_epoch: "latest" });
  assert.equal(findClustersFile(join(root, "b_model")), null);
  await Deno.writeTextFile(join(root, "b_model", "features_clustered_010.npy"), "");
  assert.equal(findClustersFile(join(root, "b_model")), join(root, "b_model", "features_clustered_010.npy"));
  await Deno.writeTextFile(join(root, "b_model", "clusters_005.json"), "");
  assert.equal(findClustersFile(join(root, "b_model")), join(root, "b_model", "clusters_005.json"));
  await Deno.remove(root, { recursive: true });
});

Deno.test("openEditor() opens a saved scene with a model and renders it as PNG; misuse is a clear error", async () => {
  const root = await Deno.makeTempDir();
  const model = join(root, "m");
  await saveTinyModel(model);
  await saveClusters(join(model, "clusters_010.json"), {
    feat_num: 3,
    label_nc: 35,
    n_clusters: 10,
    centres: new Map([[26, [[0.5, 0.5, 0.5]]]]),
  });
  const { label, inst } = sceneMaps();
  const styles = new Map([...new Set(inst.data)].map((id) => [id, { cluster: null, vector: [0, 0.1, 0.2] }]));
  await saveScene(Scene.create(label, inst, styles, { label_nc: 35, feat_num: 3 }), join(root, "scene"));
  const before = tf.memory().numTensors;
  const editor = await openEditor({ model, scene: join(root, "scene") });
  assert.equal(editor.clustersFile, join(model, "clusters_010.json"));
  editor.scene.setStyle(26001, 0);
  const png = await editor.png();
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  editor.dispose();
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(
    openEditor({ model }),
    /"scene" is required: a saved scene folder, or a label map and an instance map/,
  );
  await Deno.remove(root, { recursive: true });
});
