import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import type { TrainedModel } from "../../../plugins/features/trained_model.ts";
import { cloneScene, previewWidth, RequestError, StudioSession } from "../../../plugins/studio/session.ts";
import { rect, snapshot, testScene, W } from "../editing/_scene.ts";

await tf.setBackend("cpu");

/** A stand-in generator: the first three input channels as the image. */
const MODEL = {
  no_instance: false,
  multiple: 4,
  synthesize: (x: tf.Tensor4D) => tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 3]),
} as unknown as TrainedModel;

function session() {
  const scene = testScene();
  return new StudioSession(MODEL, scene, cloneScene(scene), "test");
}

Deno.test("move is one undo step: the copy shifted, the original gone, undo and redo restore both states", () => {
  const s = session();
  const before = snapshot(s.scene);
  const id = s.apply({ op: "move", id: 26001, dx: 0, dy: -3 })!;
  assert.notEqual(id, 26001);
  assert.equal(s.scene.inst.includes(26001), false);
  for (const p of rect(2, 4, 1, 3)) assert.equal(s.scene.inst[p], id);
  assert.equal(
    s.scene.instance(id).style?.cluster,
    before.styles.get(26001)!.cluster,
    "the copy keeps its style",
  );
  const after = snapshot(s.scene);
  s.apply({ op: "undo" });
  assert.deepEqual(snapshot(s.scene), before);
  assert.equal(s.state().canUndo, false);
  s.apply({ op: "redo" });
  assert.deepEqual(snapshot(s.scene), after);
});

Deno.test("fill takes the connected region of the clicked class only; a region of the same class is refused", () => {
  const s = session();
  s.apply({ op: "fill", class: 22, x: 0, y: 7 }); // the road (x 0-7), around the cars
  const label = s.scene.label;
  assert.equal(label[7 * W + 0], 22);
  assert.equal(label[7 * W + 9], 8, "the sidewalk is not touched");
  assert.equal(label[5 * W + 3], 26, "the car on the road stays");
  assert.throws(() => s.apply({ op: "fill", class: 22, x: 1, y: 7 }), /already is class terrain/);
});

Deno.test("a random style is another cluster of the class; duplicate makes a new instance of the same style", () => {
  const s = session();
  let previous = s.scene.instance(26001).style!.cluster;
  for (let i = 0; i < 5; i++) {
    s.apply({ op: "style", id: 26001, random: true });
    const now = s.scene.instance(26001).style!.cluster;
    assert.ok(now !== null && now !== previous && now >= 0 && now < 3, `cluster ${now} after ${previous}`);
    previous = now;
  }
  const copy = s.apply({ op: "duplicate", id: 26001, dx: 4, dy: 0 })!;
  assert.ok(s.scene.inst.includes(26001) && s.scene.inst.includes(copy));
  assert.deepEqual(s.scene.instance(copy).style, s.scene.instance(26001).style);
});

Deno.test("reset is one undoable step back to the opened scene; after a restore it starts over from the opened scene", () => {
  const s = session();
  const opened = snapshot(s.scene);
  s.apply({ op: "paint", class: 21, points: [[1, 7]], radius: 1 });
  s.apply({ op: "remove", id: 24000 });
  const edited = snapshot(s.scene);
  s.apply({ op: "reset" });
  assert.deepEqual(snapshot(s.scene), opened);
  assert.equal(s.state().stateId, 0, "the opened scene's state again: its render is reused");
  s.apply({ op: "undo" });
  assert.deepEqual(snapshot(s.scene), edited);
  s.apply({ op: "redo" });
  assert.deepEqual(snapshot(s.scene), opened);

  // a restored session: the current scene differs from the initial one and has no history
  const saved = testScene();
  saved.remove(24000);
  const restored = new StudioSession(MODEL, cloneScene(saved), testScene(), "restored");
  restored.apply({ op: "reset" });
  assert.deepEqual(snapshot(restored.scene), opened);
});

Deno.test("malformed operations are refused with a message naming what is wrong", () => {
  const s = session();
  assert.throws(() => s.apply({ op: "paint", class: 7, points: [], radius: 2 }), RequestError);
  assert.throws(
    () => s.apply({ op: "paint", class: 7, points: [[1, 1]], radius: 0 }),
    /"radius" must be an integer ≥ 1/,
  );
  assert.throws(() => s.apply({ op: "relabel", id: "26001", class: 7 }), /"id" must be an integer/);
  assert.throws(() => s.apply({ op: "fill", class: 7, x: 99, y: 0 }), /outside the 12×8 scene/);
  assert.throws(() => s.apply({ op: "remove", id: 5 }), /5 is not in the scene/);
  assert.throws(() => s.apply({ op: "style", id: 23, random: true }), /has no styles to choose from/);
  assert.equal(s.state().canUndo, false, "nothing was recorded");
});

Deno.test("rendering and style previews leave no tensors behind; preview widths halve down to 512 px or less", async () => {
  const s = session();
  const before = tf.memory().numTensors;
  const png = await s.png();
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.equal((await s.stylePreviews(26001)).count, 3);
  s.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([
    previewWidth(256),
    previewWidth(512),
    previewWidth(1024),
    previewWidth(2048),
    previewWidth(600),
  ], [
    null,
    null,
    512,
    512,
    300,
  ]);
});

Deno.test("undo far back shows the very PNG rendered before, even when the generator would now round differently", async () => {
  let calls = 0;
  const drifting = {
    ...MODEL,
    synthesize: (x: tf.Tensor4D) =>
      tf.tidy(() => tf.add(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 3]), ++calls * 0.01)),
  } as unknown as TrainedModel;
  const scene = testScene();
  const s = new StudioSession(drifting, scene, cloneScene(scene), "test");
  const first = await s.png();
  for (let i = 0; i < 6; i++) {
    s.apply({ op: "paint", class: i % 2 ? 21 : 22, points: [[i, 7]], radius: 1 });
    await s.png();
  }
  for (let i = 0; i < 6; i++) s.apply({ op: "undo" });
  assert.equal(calls, 7);
  assert.deepEqual(await s.png(), first);
  assert.equal(calls, 7, "no render: the first state's PNG was kept");
  s.dispose();
});
