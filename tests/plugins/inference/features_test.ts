import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { seedFor } from "../../../kernel/random.ts";
import { saveClusters } from "../../../plugins/features/clusters.ts";
import { featureMap } from "../../../plugins/features/feature_map.ts";
import { randomStyle } from "../../../plugins/features/style_spec.ts";
import { clusterFeatures } from "../../../plugins/inference/features.ts";

await tf.setBackend("cpu");

Deno.test("cluster features draw each image's random styles from the seed and the image's name, not its position", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "clusters_010.json");
  const centres = Array.from({ length: 10 }, (_, k) => [k, 1 - k, 0.5 * k]);
  const clusters = { feat_num: 3, label_nc: 35, n_clusters: 10, centres: new Map([[26, centres]]) };
  await saveClusters(file, clusters);
  const ids = Int32Array.from({ length: 8 * 4 }, (_, i) => 26000 + Math.floor(i / 4)); // 8 cars, 4 px each
  const inst = tf.tensor4d(ids, [1, 4, 8, 1], "int32");
  const { source } = await clusterFeatures({
    clusters: file,
    feat_num: 3,
    label_nc: 35,
    style: null,
    seed: 5,
    classNames: [],
  });
  const before = tf.memory().numTensors;
  const features = async (name: string) => {
    const map = await source({ name, inst });
    const values = Array.from(await map.data());
    map.dispose();
    return values;
  };
  const a = await features("frankfurt_000000_000576");
  await features("frankfurt_000001_013710"); // another image in between changes nothing
  assert.deepEqual(await features("frankfurt_000000_000576"), a);
  assert.notDeepEqual(await features("frankfurt_000001_013710"), a);
  const raster = { width: 8, height: 4, channels: 1, data: ids };
  const expected = featureMap(raster, clusters, randomStyle(seedFor(5, "frankfurt_000000_000576")), {
    feat_num: 3,
  });
  assert.deepEqual(a, Array.from(await expected.data()));
  expected.dispose();
  assert.equal(tf.memory().numTensors, before);
  inst.dispose();
  await Deno.remove(dir, { recursive: true });
});
