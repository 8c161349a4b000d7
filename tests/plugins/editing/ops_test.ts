import assert from "node:assert/strict";
import { join } from "node:path";
import { encode } from "fast-png";
import { applyOps, readOps } from "../../../plugins/editing/ops.ts";
import { H, rect, snapshot, testScene, W } from "./_scene.ts";

Deno.test("applyOps() applies every kind of operation in order, the same as the Scene API", async () => {
  const dir = await Deno.makeTempDir();
  const mask = new Uint8Array(W * H);
  for (const p of rect(0, 1, 0, 1)) mask[p] = 255;
  await Deno.writeFile(
    join(dir, "m.png"),
    encode({ width: W, height: H, channels: 1, depth: 8, data: mask }),
  );
  const ops = [
    { op: "style", instance: 26001, style: 2 },
    { op: "style", at: [7, 4], style: [0.5, 0.25] },
    { op: "relabel", instance: 24000, class: "rider" },
    { op: "remove", at: [3, 5] },
    { op: "paint", class: "sidewalk", points: [[0, 7], [1, 7]], radius: 0.5 },
    { op: "paste", class: "car", mask: "m.png", offset: [1, 0], style: 0 },
    { op: "paste", class: "bus", from_instance: 26003, offset: [0, -3] },
    { op: "style", class: "car", style: 1 },
    { op: "undo" },
    { op: "redo" },
  ];
  const file = join(dir, "ops.json");
  await Deno.writeTextFile(file, JSON.stringify({ ops }));
  const scene = testScene(0);
  const lines = await applyOps(scene, await readOps(file), { file });
  assert.equal(lines.length, 10);

  const expected = testScene(0);
  expected.setStyle(26001, 2);
  expected.setStyle(26003, [0.5, 0.25]);
  expected.relabel(24000, 25);
  expected.remove(26001);
  expected.paint({ class: 8, points: [[0, 7], [1, 7]], radius: 0.5 });
  expected.paste({ width: W, height: H, channels: 1, data: mask }, { class: 26, offset: [1, 0], style: 0 });
  expected.paste(expected.mask(26003), { class: 28, offset: [0, -3] });
  expected.setClassStyle(26, 1);
  assert.deepEqual(snapshot(scene), snapshot(expected));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("applyOps() errors name the ops file, the operation and what is valid", async () => {
  const scene = testScene();
  const run = (ops: unknown[]) => applyOps(scene, ops as never, { file: "ops.json" });
  await assert.rejects(
    run([{ op: "explode" }]),
    /ops\.json: operation 1 \(explode\): unknown operation; valid operations: relabel, remove/,
  );
  await assert.rejects(
    run([{ op: "remove", instance: 999 }]),
    /operation 1 \(remove\): .*999 is not in the scene; its instances: 7, 8/,
  );
  await assert.rejects(run([{ op: "remove", id: 7 }]), /unknown key\(s\) id; valid keys: instance, at/);
  await assert.rejects(
    run([{ op: "style", instance: 26001, style: 9 }]),
    /operation 1 \(style\): .*valid indices 0…2/,
  );
  await assert.rejects(run([{ op: "undo" }]), /operation 1 \(undo\): there is nothing to undo/);
  await assert.rejects(
    run([{ op: "paste", class: "car", mask: "nope.png" }]),
    /operation 1 \(paste\): nope\.png: cannot be read/,
  );
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "bad.json"), '{"op": "remove"}');
  await assert.rejects(readOps(join(dir, "bad.json")), /bad\.json: must be a JSON list of operations/);
  await Deno.remove(dir, { recursive: true });
});
