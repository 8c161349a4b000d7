import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkClusters,
  type Clusters,
  clustersFileName,
  clustersFromJson,
  clustersToJson,
  loadClusters,
  saveClusters,
} from "../../../plugins/features/clusters.ts";

const clusters: Clusters = {
  feat_num: 3,
  label_nc: 35,
  n_clusters: 10,
  centres: new Map([[26, [[0.1, -0.2, 0.30000001192092896], [0.5, 0.5, 0.5]]], [24, [[1, 2, 3]]]]),
};

Deno.test("clusters survive a JSON round trip bit for bit, with their metadata", () => {
  const text = clustersToJson(clusters, { seed: 0 });
  const doc = JSON.parse(text);
  assert.equal(doc.format, "pix2pixhd-deno-clusters/1");
  assert.deepEqual([doc.feat_num, doc.label_nc, doc.n_clusters, doc.seed], [3, 35, 10, 0]);
  assert.deepEqual(Object.keys(doc.centres), ["24", "26"]);
  assert.deepEqual(clustersFromJson(text, "c.json"), clusters);
  assert.equal(clustersFileName(10), "clusters_010.json");
});

Deno.test("saveClusters() writes the file in place, leaving no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "clusters_010.json");
  await saveClusters(path, clusters);
  assert.deepEqual(clustersFromJson(await Deno.readTextFile(path), path), clusters);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["clusters_010.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkClusters() rejects clusters of another model, naming both values", () => {
  assert.throws(
    () => checkClusters(clusters, { feat_num: 4, label_nc: 35 }, "c.json"),
    /c\.json: clusters have feat_num 3 but the model has feat_num 4/,
  );
  assert.throws(
    () => checkClusters(clusters, { feat_num: 3, label_nc: 20 }, "c.json"),
    /c\.json: clusters have label_nc 35 but the model has label_nc 20/,
  );
});

Deno.test("clustersFromJson() rejects files that are not clusters files or are malformed", () => {
  assert.throws(() => clustersFromJson("{", "c.json"), /c\.json: is not valid JSON/);
  assert.throws(() => clustersFromJson('{"format":"x"}', "c.json"), /is not a clusters file/);
  const base = { format: "pix2pixhd-deno-clusters/1", feat_num: 2, label_nc: 5, n_clusters: 10 };
  assert.throws(
    () => clustersFromJson(JSON.stringify({ ...base, centres: { "7": [[1, 2]] } }), "c.json"),
    /clusters list class 7, outside 0…4/,
  );
  assert.throws(
    () => clustersFromJson(JSON.stringify({ ...base, centres: { "3": [[1, 2, 3]] } }), "c.json"),
    /class 3 must have at least one centre of 2 finite numbers/,
  );
  assert.throws(
    () => clustersFromJson(JSON.stringify({ ...base, feat_num: 0, centres: {} }), "c.json"),
    /"feat_num", "label_nc" and "n_clusters" must be positive integers/,
  );
});

Deno.test("loadClusters() reads the official features_clustered .npy and our JSON, checking the model", async () => {
  const npy = new URL("fixtures/features_clustered_002.npy", import.meta.url).pathname;
  const official = await loadClusters(npy, { feat_num: 3, label_nc: 35 });
  assert.deepEqual([official.feat_num, official.label_nc, official.n_clusters], [3, 35, 2]);
  assert.deepEqual(
    official.centres,
    new Map([[24, [[0.125, -0.5, 0.75]]], [26, [[0.1, 0.2, 0.3], [-0.1, -0.2, -0.3]]]]),
  );
  await assert.rejects(
    loadClusters(npy, { feat_num: 4, label_nc: 35 }),
    /clusters have feat_num 3 but the model has feat_num 4/,
  );
  await assert.rejects(
    loadClusters(npy, { feat_num: 3, label_nc: 20 }),
    /clusters list class 24, outside 0…19/,
  );
  const dir = await Deno.makeTempDir();
  const path = join(dir, "clusters_010.json");
  await saveClusters(path, clusters);
  assert.deepEqual(await loadClusters(path, { feat_num: 3, label_nc: 35 }), clusters);
  await assert.rejects(
    loadClusters(join(dir, "none.json"), { feat_num: 3, label_nc: 35 }),
    /none\.json: cannot be read \(file not found: run encode_features first\)/,
  );
  await Deno.remove(dir, { recursive: true });
});
