import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { Rng } from "../../../kernel/random.ts";
import { CITYSCAPES_PALETTE } from "../../../plugins/data/palettes/cityscapes.ts";
import type { Clusters } from "../../../plugins/features/clusters.ts";
import {
  parseStyleArg,
  randomStyle,
  readStyleOption,
  styleFromJson,
} from "../../../plugins/features/style_spec.ts";
import {
  featureMap,
  paintFeatures,
  resolveStyles,
  stylesFromEncoded,
} from "../../../plugins/features/feature_map.ts";

await tf.setBackend("cpu");
const NAMES = CITYSCAPES_PALETTE.names;

const clusters: Clusters = {
  feat_num: 2,
  label_nc: 35,
  n_clusters: 3,
  centres: new Map([
    [26, [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]],
    [7, [[-1, -1]]],
  ]),
};

/** 4×2 scene: road (7) on the left, cars 26001 and 26002 on the right, sky (23) at the bottom right. */
const inst = {
  width: 4,
  height: 2,
  channels: 1,
  data: new Int32Array([7, 7, 26001, 26002, 7, 7, 26001, 23]),
};

Deno.test("parseStyleArg() reads class names, class ids, instance ids, indices and vectors", () => {
  const spec = parseStyleArg("car=2, Road=0,traffic_light=1,26=1,26001=[0.5,-0.25]", NAMES, 9);
  assert.equal(spec.seed, 9);
  assert.deepEqual([...spec.classes], [[26, 1], [7, 0], [19, 1]]);
  assert.deepEqual([...spec.instances], [[26001, [0.5, -0.25]]]);
});

Deno.test("parseStyleArg() rejects unknown classes (with a hint) and malformed pairs", () => {
  assert.throws(
    () => parseStyleArg("cra=3", NAMES),
    /unknown class "cra" \(did you mean "car"\?\); valid classes: unlabeled/,
  );
  assert.throws(() => parseStyleArg("car", NAMES), /pair "car" must be key=value/);
  assert.throws(() => parseStyleArg("car=-1", NAMES), /value of "car" must be a cluster index/);
  assert.throws(() => parseStyleArg("car=[1,x]", NAMES), /value of "car" must be a cluster index/);
  assert.throws(() => parseStyleArg("99=1", NAMES), /class 99 is not below 35 \(valid class ids: 0…34\)/);
});

Deno.test("styleFromJson() and readStyleOption() read the JSON format; errors name the file", async () => {
  const doc = { seed: 4, classes: { car: 1, "7": [0.5, 0.5] }, instances: { "26002": 2 } };
  const spec = styleFromJson(doc, NAMES, "s.json");
  assert.deepEqual([spec.seed, [...spec.classes], [...spec.instances]], [4, [[7, [0.5, 0.5]], [26, 1]], [[
    26002,
    2,
  ]]]);
  const dir = await Deno.makeTempDir();
  const file = join(dir, "s.json");
  await Deno.writeTextFile(file, JSON.stringify(doc));
  assert.deepEqual(await readStyleOption(file, NAMES), spec);
  assert.deepEqual(await readStyleOption("car=1", NAMES, 3), parseStyleArg("car=1", NAMES, 3));
  await assert.rejects(
    readStyleOption(join(dir, "none.json"), NAMES),
    /none\.json: cannot read the style file \(file not found\)/,
  );
  assert.throws(
    () => styleFromJson({ colors: {} }, NAMES, "s.json"),
    /s\.json: unknown key\(s\) colors; valid keys/,
  );
  assert.throws(
    () => styleFromJson({ instances: { car: 1 } }, NAMES, "s.json"),
    /"instances" key "car" must be an instance id/,
  );
  assert.throws(
    () => styleFromJson({ classes: { bus: "x" } }, NAMES, "s.json"),
    /^DataError: s\.json: .*value of "bus"/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resolveStyles() draws one cluster per clustered instance in ascending id order, seeded", () => {
  const ids = [7, 23, 26001, 26002];
  const styles = resolveStyles(ids, clusters, randomStyle(5), { feat_num: 2 });
  const rng = new Rng(5);
  const road = rng.int(1), car1 = rng.int(3), car2 = rng.int(3);
  assert.deepEqual(styles.get(7), { cluster: road, vector: [-1, -1] });
  assert.deepEqual(styles.get(23), { cluster: null, vector: [0, 0] });
  assert.deepEqual(styles.get(26001), { cluster: car1, vector: clusters.centres.get(26)![car1] });
  assert.deepEqual(styles.get(26002), { cluster: car2, vector: clusters.centres.get(26)![car2] });
  assert.deepEqual(resolveStyles(ids, clusters, randomStyle(5), { feat_num: 2 }), styles);
});

Deno.test("resolveStyles(): an instance's choice beats its class's, and pinning one keeps the others' draws", () => {
  const ids = [7, 23, 26001, 26002];
  const free = resolveStyles(ids, clusters, randomStyle(1), { feat_num: 2 });
  const spec = parseStyleArg("car=2,26001=[9,9],sky=[0.5,0.5]", NAMES, 1);
  const styles = resolveStyles(ids, clusters, spec, { feat_num: 2 });
  assert.deepEqual(styles.get(26001), { cluster: null, vector: [9, 9] });
  assert.deepEqual(styles.get(26002), { cluster: 2, vector: [0.5, 0.6] });
  assert.deepEqual(styles.get(23), { cluster: null, vector: [0.5, 0.5] });
  const pinned = resolveStyles(ids, clusters, parseStyleArg("26001=0", NAMES, 1), { feat_num: 2 });
  assert.deepEqual(pinned.get(26002), free.get(26002));
});

Deno.test("resolveStyles() rejects bad choices, listing what is valid", () => {
  const ids = [7, 23, 26001];
  const resolve = (text: string) =>
    resolveStyles(ids, clusters, parseStyleArg(text, NAMES), { feat_num: 2, classNames: NAMES });
  assert.throws(
    () => resolve("car=3"),
    /cluster 3 but class 26 \(car\) has 3 cluster\(s\): valid indices 0…2/,
  );
  assert.throws(
    () => resolve("sky=0"),
    /class 23 \(sky\) has no clusters; classes with clusters: 7 \(road\), 26 \(car\)/,
  );
  assert.throws(() => resolve("car=[1,2,3]"), /feature vector must have 2 finite numbers \(feat_num\)/);
  assert.throws(
    () => resolve("26005=1"),
    /instance 26005, not in this instance map; its instances: 7, 23, 26001/,
  );
  assert.throws(
    () => resolveStyles(ids, null, parseStyleArg("car=0", NAMES), { feat_num: 2 }),
    /no clusters file was given/,
  );
});

Deno.test("featureMap() paints each instance's vector over its pixels, zeros where no clusters", () => {
  const before = tf.memory().numTensors;
  const map = featureMap(inst, clusters, parseStyleArg("car=1,road=0", NAMES, 0));
  assert.deepEqual(map.shape, [1, 2, 4, 2]);
  const values = Array.from(map.dataSync()).map((v) => Math.round(v * 100) / 100);
  assert.deepEqual(values, [-1, -1, -1, -1, 0.3, 0.4, 0.3, 0.4, -1, -1, -1, -1, 0.3, 0.4, 0, 0]);
  map.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("featureMap() with different seeds gives different maps, the same seed the same map", () => {
  const many = { ...clusters, centres: new Map([[26, Array.from({ length: 10 }, (_, i) => [i, -i])]]) };
  const ids = new Int32Array(64).map((_, i) => 26000 + (i % 16));
  const big = { width: 8, height: 8, channels: 1, data: ids };
  const a = featureMap(big, many, randomStyle(1)), b = featureMap(big, many, randomStyle(1));
  const c = featureMap(big, many, randomStyle(2));
  assert.deepEqual(a.dataSync(), b.dataSync());
  assert.notDeepEqual(a.dataSync(), c.dataSync());
  tf.dispose([a, b, c]);
});

Deno.test("stylesFromEncoded() reads each instance's pooled vector; paintFeatures() paints it back", () => {
  const pooled = paintFeatures(
    inst,
    new Map([[7, { cluster: null, vector: [1, 2] }], [26001, { cluster: 0, vector: [3, 4] }]]),
    2,
  );
  const styles = stylesFromEncoded(pooled, inst, 2);
  assert.deepEqual([...styles.keys()], [7, 26001, 26002, 23]);
  assert.deepEqual(styles.get(26001), { cluster: null, vector: [3, 4] });
  assert.deepEqual(styles.get(23), { cluster: null, vector: [0, 0] });
  assert.deepEqual(paintFeatures(inst, styles, 2), pooled);
});
