import assert from "node:assert/strict";
import { join } from "node:path";
import { CITYSCAPES_PALETTE } from "../../../plugins/data/palettes/cityscapes.ts";
import { loadScene, saveScene, sceneFromMaps } from "../../../plugins/editing/scene_io.ts";
import { parseStyleArg } from "../../../plugins/features/style_spec.ts";
import { CLUSTERS, snapshot, testScene } from "./_scene.ts";

const SAMPLE = new URL("../../../datasets/cityscapes/", import.meta.url).pathname;
const LABEL = join(SAMPLE, "test_label/frankfurt_000000_000576_gtFine_labelIds.png");
const INST = join(SAMPLE, "test_inst/frankfurt_000000_000576_gtFine_instanceIds.png");

Deno.test("saveScene() then loadScene() gives back the edited scene bit for bit", async () => {
  const scene = testScene(1);
  scene.relabel(26001, "bus");
  scene.setStyle(26003, [0.123456789, -0.987654321]);
  const dir = await Deno.makeTempDir();
  await saveScene(scene, dir);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "features.json",
    "inst.png",
    "label.png",
  ]);
  const loaded = await loadScene(dir, { clusters: CLUSTERS, classNames: CITYSCAPES_PALETTE.names });
  assert.deepEqual(snapshot(loaded), snapshot(scene));
  assert.deepEqual([...loaded.things], [...scene.things].sort((a, b) => a - b));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadScene() rejects a folder that is not a scene, and clusters of another model", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    loadScene(dir),
    /features\.json: cannot be read \(file not found: is this a saved scene folder\?\)/,
  );
  await saveScene(testScene(), dir);
  await assert.rejects(
    loadScene(dir, { clusters: { ...CLUSTERS, feat_num: 3 } }),
    /features\.json: clusters have feat_num 3 but the model has feat_num 2/,
  );
  await Deno.writeTextFile(join(dir, "features.json"), '{"format":"other"}');
  await assert.rejects(loadScene(dir), /is not a scene file/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sceneFromMaps() reads a bundled Cityscapes scene with 16-bit instance ids and drawn styles", async () => {
  const clusters = { ...CLUSTERS, feat_num: 2 };
  const scene = await sceneFromMaps(LABEL, INST, {
    label_nc: 35,
    feat_num: 2,
    clusters,
    classNames: CITYSCAPES_PALETTE.names,
    style: parseStyleArg("car=2", CITYSCAPES_PALETTE.names, 0),
  });
  assert.deepEqual([scene.width, scene.height], [512, 256]);
  const cars = scene.instances().filter((i) => i.classId === 26 && i.id >= 1000);
  assert.ok(cars.length > 0);
  assert.ok(cars.every((c) => c.style!.cluster === 2));
  assert.ok(scene.things.has(26));
  await assert.rejects(
    sceneFromMaps(LABEL, INST, { label_nc: 20, feat_num: 0 }),
    /frankfurt_000000_000576_gtFine_labelIds\.png: .*outside 0…19 \(label_nc\)/,
  );
  await assert.rejects(
    sceneFromMaps(LABEL, LABEL.replace("000576", "001236"), { label_nc: 35, feat_num: 0 }),
    /instance map is 8-bit and has lost its ids/,
  );
});
