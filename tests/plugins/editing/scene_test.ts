import assert from "node:assert/strict";
import { Scene } from "../../../plugins/editing/scene.ts";
import {
  boundariesChangedAround,
  changedPixels,
  CLUSTERS,
  edges,
  H,
  rect,
  sceneMaps,
  snapshot,
  testScene,
  W,
} from "./_scene.ts";

Deno.test("instances() lists id, class, pixel count, bounding box and style of every instance", () => {
  const scene = testScene();
  const list = scene.instances();
  assert.deepEqual(list.map((i) => i.id), [7, 8, 23, 24000, 26001, 26003]);
  const car = list.find((i) => i.id === 26001)!;
  assert.deepEqual([car.classId, car.className, car.pixels, car.box], [26, "car", 9, {
    x: 2,
    y: 4,
    width: 3,
    height: 3,
  }]);
  assert.equal(car.style!.vector.length, 2);
  assert.deepEqual(scene.instance(24000).box, { x: 10, y: 5, width: 1, height: 3 });
  assert.deepEqual(list.find((i) => i.id === 8)!.box, { x: 8, y: 2, width: 4, height: 6 });
  assert.equal(scene.instanceAt(3, 5), 26001);
});

Deno.test("relabel() to a thing class gives a fresh id and changes exactly the instance's pixels", () => {
  const scene = testScene();
  const before = snapshot(scene);
  const newId = scene.relabel(26001, "person");
  assert.equal(newId, 24001);
  const after = snapshot(scene);
  const pixels = rect(2, 4, 4, 6);
  assert.deepEqual(changedPixels(before.label, after.label), pixels);
  assert.deepEqual(changedPixels(before.inst, after.inst), pixels);
  assert.ok(pixels.every((p) => after.label[p] === 24 && after.inst[p] === 24001));
  assert.deepEqual(changedPixels(edges(before.inst), edges(after.inst)), []); // same outline, new id
  assert.deepEqual(after.styles.get(24001), { cluster: null, vector: before.styles.get(26001)!.vector });
  assert.equal(after.styles.has(26001), false);
  assert.deepEqual(changedPixels(before.features, after.features, 2), []);
  assert.equal(scene.relabel(24001, 26, { style: 2 }), 26004);
  assert.deepEqual(scene.styles.get(26004), { cluster: 2, vector: [0.1, 0.7] });
});

Deno.test("relabel() to a stuff class merges into that region and takes its style", () => {
  const scene = testScene();
  const before = snapshot(scene);
  assert.equal(scene.relabel(26001, "road"), 7);
  const after = snapshot(scene);
  const pixels = rect(2, 4, 4, 6);
  assert.deepEqual(changedPixels(before.inst, after.inst), pixels);
  // the car's outline on the road disappears from the boundary map
  const lost = changedPixels(edges(before.inst), edges(after.inst));
  assert.ok(lost.length > 0 && lost.every((p) => edges(before.inst)[p] === 1 && edges(after.inst)[p] === 0));
  assert.deepEqual(changedPixels(before.features, after.features, 2), pixels);
  assert.ok(pixels.every((p) => after.features[p * 2] === Math.fround(before.styles.get(7)!.vector[0])));
});

Deno.test("remove() fills an instance from its surroundings, nearest region first", () => {
  const scene = testScene();
  const before = snapshot(scene);
  scene.remove(26003); // straddles road (x ≤ 7) and sidewalk (x ≥ 8)
  const after = snapshot(scene);
  const hole = rect(6, 9, 3, 5);
  assert.deepEqual(changedPixels(before.inst, after.inst), hole);
  for (const p of hole) assert.equal(after.inst[p], p % W <= 7 ? 7 : 8, `pixel ${p}`);
  assert.deepEqual(changedPixels(before.label, after.label), hole);
  assert.equal(after.styles.has(26003), false);
  assert.ok(boundariesChangedAround(before.inst, after.inst));
  assert.ok(
    hole.every((p) => after.features[p * 2 + 1] === Math.fround(after.styles.get(after.inst[p])!.vector[1])),
  );
  scene.remove(24000);
  assert.ok(rect(10, 10, 5, 7).every((p) => scene.inst[p] === 8));
});

Deno.test("paint() paints a stroke: stuff extends its region, a thing becomes a new instance", () => {
  const scene = testScene();
  const before = snapshot(scene);
  assert.equal(scene.paint({ class: "sidewalk", points: [[0, 7], [3, 7]], radius: 0.5 }), 8);
  assert.deepEqual(changedPixels(before.inst, scene.inst), rect(0, 3, 7, 7));
  assert.deepEqual(changedPixels(before.label, scene.label), rect(0, 3, 7, 7));
  assert.ok(boundariesChangedAround(before.inst, scene.inst));
  assert.deepEqual(changedPixels(before.features, scene.featureData(), 2), rect(0, 3, 7, 7));
  const id = scene.paint({ class: "car", points: [[1, 0]], radius: 1 });
  assert.equal(id, 26004);
  assert.deepEqual(scene.instance(26004).box, { x: 0, y: 0, width: 3, height: 2 });
  assert.deepEqual(scene.styles.get(26004), { cluster: 0, vector: [0.9, -0.9] });
  scene.paint({ class: 26, points: [[5, 0]], radius: 0.5, instance: 26004 });
  assert.equal(scene.instance(26004).pixels, 5); // a radius-1 disc (4 pixels) and one more pixel
  assert.throws(
    () => scene.paint({ class: "road", points: [[0, 0]], instance: 26004 }),
    /26004 is not of class road/,
  );
  assert.throws(() => scene.paint({ class: "road", points: [], radius: 1 }), /it has no points/);
});

Deno.test("paste() adds an object from a mask, moved by an offset, with a chosen style", () => {
  const scene = testScene();
  const before = snapshot(scene);
  const id = scene.paste(scene.mask(26001), { class: "car", offset: [-2, -3], style: 1 });
  assert.equal(id, 26004);
  assert.deepEqual(changedPixels(before.inst, scene.inst), rect(0, 2, 1, 3));
  assert.deepEqual(changedPixels(before.label, scene.label), rect(0, 2, 1, 3));
  assert.ok(boundariesChangedAround(before.inst, scene.inst));
  assert.deepEqual(scene.styles.get(26004), { cluster: 1, vector: [-0.5, 0.5] });
  assert.deepEqual(changedPixels(before.features, scene.featureData(), 2), rect(0, 2, 1, 3));
  const small = { width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(1) };
  assert.throws(
    () => scene.paste(small, { class: "car", file: "m.png" }),
    /m\.png: mask is 4×4 \(16 values\) but the scene is 12×8/,
  );
  assert.throws(
    () => scene.paste(scene.mask(26001), { class: "car", offset: [50, 0] }),
    /selects no pixel inside the scene/,
  );
});

Deno.test("setStyle() changes only the instance's feature pixels; bad choices list what is valid", () => {
  const scene = testScene(0);
  const before = snapshot(scene);
  const geometry = scene.geometryId;
  scene.setStyle(26001, before.styles.get(26001)!.cluster === 2 ? 1 : 2);
  assert.deepEqual(changedPixels(before.features, scene.featureData(), 2), rect(2, 4, 4, 6));
  assert.deepEqual(changedPixels(before.inst, scene.inst), []);
  assert.equal(scene.geometryId, geometry);
  scene.setStyle(26001, [0.25, -0.25]);
  assert.deepEqual(scene.styles.get(26001), { cluster: null, vector: [0.25, -0.25] });
  assert.throws(
    () => scene.setStyle(26001, 3),
    /cluster 3 but class 26 \(car\) has 3 cluster\(s\): valid indices 0…2/,
  );
  assert.throws(
    () => scene.setStyle(23, 0),
    /class 23 \(sky\) has no clusters; classes with clusters: 7 \(road\), 24 \(person\), 26 \(car\)/,
  );
  assert.throws(() => scene.setStyle(26001, [1, 2, 3]), /must have 2 finite numbers \(feat_num\)/);
  assert.throws(() => testScene(0, false).setStyle(26001, 0), /no instance features \(feat_num 0\)/);
});

Deno.test("setClassStyle() restyles every instance of a class in one undoable edit", () => {
  const scene = testScene(0);
  scene.paste(scene.mask(26001), { class: "car", offset: [-2, -3], style: 0 });
  const before = snapshot(scene);
  scene.setClassStyle("car", 1);
  const cars = [26001, 26003, 26004];
  assert.ok(cars.every((id) => scene.styles.get(id)!.cluster === 1));
  assert.deepEqual(scene.styles.get(24000), before.styles.get(24000));
  scene.undo();
  assert.deepEqual(snapshot(scene), before);
  assert.throws(
    () => scene.setClassStyle("bus", 0),
    /bus is not in the scene; its classes: 7 road, 8 sidewalk, 23 sky, 24 person, 26 car/,
  );
  assert.throws(() => scene.setClassStyle("car", 5), /class car.*valid indices 0…2/);
});

Deno.test("undo() restores the scene bit for bit through many steps; redo() re-applies them", () => {
  const scene = testScene(3);
  const states = [snapshot(scene)], ids = [scene.stateId];
  scene.relabel(26001, "truck");
  states.push(snapshot(scene)), ids.push(scene.stateId);
  scene.remove(26003);
  states.push(snapshot(scene)), ids.push(scene.stateId);
  scene.setStyle(24000, [0.5, 0.5]);
  states.push(snapshot(scene)), ids.push(scene.stateId);
  scene.paint({ class: "car", points: [[0, 0], [11, 0]], radius: 1 });
  states.push(snapshot(scene)), ids.push(scene.stateId);
  assert.deepEqual(scene.history().done, [
    "relabel 26001 → truck",
    "remove 26003",
    "style 24000 = [0.5, 0.5]",
    "paint car",
  ]);
  for (let k = states.length - 2; k >= 0; k--) {
    assert.equal(scene.undo(), true);
    assert.deepEqual(snapshot(scene), states[k]);
    assert.equal(scene.stateId, ids[k]);
  }
  assert.equal(scene.undo(), false);
  for (let k = 1; k < states.length; k++) {
    assert.equal(scene.redo(), true);
    assert.deepEqual(snapshot(scene), states[k]);
    assert.equal(scene.stateId, ids[k]);
  }
  assert.equal(scene.redo(), false);
  scene.undo();
  scene.remove(24000);
  assert.deepEqual(scene.history().undone, []);
  assert.equal(scene.redo(), false);
});

Deno.test("edits of unknown instances or classes are clear errors listing what is valid", () => {
  const scene = testScene();
  assert.throws(
    () => scene.remove(26002),
    /26002 is not in the scene; its instances: 7, 8, 23, 24000, 26001, 26003/,
  );
  assert.throws(
    () => scene.relabel(26001, "spaceship"),
    /"spaceship" is not a class of this model; valid classes: 0 unlabeled, 1 ego vehicle/,
  );
  assert.throws(() => scene.relabel(26001, 40), /40 is not a class of this model/);
  assert.throws(() => scene.relabel(26001, "car"), /instance 26001 already is class car/);
  assert.throws(() => scene.instanceAt(W, 0), /Cannot read pixel \(12, 0\): the scene is 12×8/);
  const { label, inst } = sceneMaps();
  assert.throws(
    () => Scene.create(label, inst, new Map(), { label_nc: 35, feat_num: 2, clusters: CLUSTERS }),
    /lack instance\(s\) 7, 8, 23, 24000, 26001, 26003/,
  );
  assert.throws(
    () => Scene.create(label, { ...inst, width: W - 1 }, new Map(), { label_nc: 35, feat_num: 0 }),
    /must be a 1-channel map of the label map's size 12×8×1: current size is 11×8×1/,
  );
  assert.throws(
    () => Scene.create(label, inst, new Map(), { label_nc: 20, feat_num: 0 }),
    /has class 23, outside 0…19/,
  );
  assert.equal(H, 8);
});

Deno.test("reset() brings the scene back as created in one undoable step, keeping the history before it", () => {
  const scene = testScene(2);
  const created = snapshot(scene);
  const createdId = scene.stateId;
  assert.equal(scene.reset(), false); // nothing to reset: nothing recorded
  assert.deepEqual(scene.history().done, []);
  scene.relabel(26001, "truck");
  scene.setStyle(26003, 1);
  scene.remove(24000);
  const edited = snapshot(scene);
  assert.equal(scene.reset(), true);
  assert.deepEqual(snapshot(scene), created);
  assert.equal(scene.stateId, createdId);
  assert.equal(scene.history().done.at(-1), "reset");
  assert.equal(scene.history().done.length, 4);
  assert.ok(scene.undo());
  assert.deepEqual(snapshot(scene), edited);
  assert.ok(scene.redo());
  assert.deepEqual(snapshot(scene), created);
});
