import assert from "node:assert/strict";
import { join } from "node:path";
import { decode, encode } from "fast-png";
import { runCli } from "../../../kernel/cli.ts";
import { tf } from "../../../backends/tf.ts";
import { saveClusters } from "../../../plugins/features/clusters.ts";
import { loadScene } from "../../../plugins/editing/scene_io.ts";
import { editCommand } from "../../../scripts/edit.ts";
import { recordingIO, saveTinyModel } from "../features/_tiny_model.ts";
import { H, sceneMaps, W } from "./_scene.ts";

await tf.setBackend("cpu");

/** A tiny model with clusters, and the test scene's maps as PNGs, in a temp folder. */
async function setup() {
  const root = await Deno.makeTempDir();
  const model = join(root, "tiny");
  await saveTinyModel(model);
  const centres = new Map([[26, [[0.9, -0.9, 0.1], [-0.5, 0.5, 0.2]]], [7, [[0.2, 0.2, 0.2]]]]);
  await saveClusters(join(model, "clusters_010.json"), {
    feat_num: 3,
    label_nc: 35,
    n_clusters: 10,
    centres,
  });
  const { label, inst } = sceneMaps();
  const png = (data: Uint8Array | Uint16Array, depth: 8 | 16) =>
    encode({ width: W, height: H, channels: 1, depth, data });
  await Deno.writeFile(join(root, "label.png"), png(Uint8Array.from(label.data), 8));
  await Deno.writeFile(join(root, "inst.png"), png(Uint16Array.from(inst.data), 16));
  return {
    root,
    model,
    args: [
      "--model",
      model,
      "--label",
      join(root, "label.png"),
      "--inst",
      join(root, "inst.png"),
      "--backend",
      "cpu",
    ],
  };
}

Deno.test("edit applies an ops file, writes the synthesized image and saves the edited scene", async () => {
  const { root, args } = await setup();
  const ops = [{ op: "style", instance: 26001, style: 1 }, { op: "remove", instance: 26003 }, {
    op: "relabel",
    at: [10, 6],
    class: "rider",
  }];
  await Deno.writeTextFile(join(root, "ops.json"), JSON.stringify(ops));
  const io = recordingIO();
  const code = await runCli(editCommand, [
    ...args,
    "--ops",
    join(root, "ops.json"),
    "--out",
    join(root, "out.png"),
    "--save_scene",
    join(root, "scene"),
    "--things",
    "24-33",
    "--json",
  ], io);
  assert.equal(code, 0, io.err.join(""));
  const report = JSON.parse(io.out.join(""));
  assert.deepEqual(report.ops, ["style 26001", "remove 26003", "relabel 24000 → instance 25000"]);
  const out = decode(await Deno.readFile(join(root, "out.png")));
  assert.deepEqual([out.width, out.height, out.channels], [W, H, 3]);
  const scene = await loadScene(join(root, "scene"));
  assert.deepEqual(scene.instances().map((i) => i.id), [7, 8, 23, 25000, 26001]);
  assert.deepEqual(scene.styles.get(26001), { cluster: 1, vector: [-0.5, 0.5, 0.2] });
  await Deno.remove(root, { recursive: true });
});

Deno.test("edit --list lists the instances; missing flags are one-line errors", async () => {
  const { root, args } = await setup();
  const io = recordingIO();
  assert.equal(await runCli(editCommand, [...args, "--list", "--json"], io), 0, io.err.join(""));
  const { instances } = JSON.parse(io.out.join(""));
  assert.deepEqual(instances.map((i: { id: number }) => i.id), [7, 8, 23, 24000, 26001, 26003]);
  assert.equal(instances.find((i: { id: number }) => i.id === 26001).className, "car");
  const io2 = recordingIO();
  assert.equal(await runCli(editCommand, args, io2), 1);
  assert.match(io2.err.join(""), /"out" is required \(or --save_scene, or --list\)/);
  const io3 = recordingIO();
  await Deno.remove(join(root, "tiny", "clusters_010.json"));
  assert.equal(await runCli(editCommand, [...args, "--list"], io3), 1);
  assert.match(
    io3.err.join(""),
    /"clusters" is required for a model with instance features: .* has no clusters_\*\.json/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("edit --previews writes one image per cluster of the instance's class, each with that style", async () => {
  const { root, args } = await setup();
  const io = recordingIO();
  const dir = join(root, "previews");
  assert.equal(
    await runCli(editCommand, [...args, "--previews", "26001", "--out", dir, "--json"], io),
    0,
    io.err.join(""),
  );
  const report = JSON.parse(io.out.join(""));
  assert.deepEqual(report.previews, [join(dir, "26001_style_0.png"), join(dir, "26001_style_1.png")]);
  const [a, b] = await Promise.all(report.previews.map(async (f: string) => decode(await Deno.readFile(f))));
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  assert.deepEqual([a.width, a.height], [W, H]); // the box plus its 16-pixel margin covers the tiny scene
  assert.notDeepEqual(a.data, b.data); // two clusters, two styles
  // each preview is the scene rendered with that cluster's style, cropped around the instance
  const styled = recordingIO();
  const ops = join(root, "ops.json");
  await Deno.writeTextFile(ops, JSON.stringify([{ op: "style", instance: 26001, style: 1 }]));
  const full = join(root, "styled.png");
  assert.equal(
    await runCli(editCommand, [...args, "--ops", ops, "--out", full], styled),
    0,
    styled.err.join(""),
  );
  const whole = decode(await Deno.readFile(full));
  assert.deepEqual(b.data, whole.data); // full context: exactly the scene rendered with style 1
  const noClusters = recordingIO();
  assert.equal(await runCli(editCommand, [...args, "--previews", "24000", "--out", dir], noClusters), 1);
  assert.match(noClusters.err.join(""), /24000 \(class person\) has no styles to preview/);
  await Deno.remove(root, { recursive: true });
});
