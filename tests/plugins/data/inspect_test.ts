import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { inspectDataset, inspectLabel } from "../../../plugins/data/inspect.ts";
import { BUNDLED, makeAligned, mapOf, PARITY, writePng } from "./helpers.ts";

await tf.ready();
const SCRIPT = new URL("../../../scripts/inspect.ts", import.meta.url).pathname;

async function runInspect(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("inspectLabel reports size, depth, histogram, instances with class/pixels/bbox and boundary pixels", async () => {
  const before = tf.memory().numTensors;
  const r = await inspectLabel(join(PARITY, "label.png"), { inst: join(PARITY, "inst.png"), label_nc: 5 });
  assert.deepEqual([r.width, r.height, r.bitDepth, r.instBitDepth], [64, 32, 8, 16]);
  assert.deepEqual(r.histogram, { 0: 722, 1: 512, 2: 288, 3: 280, 4: 246 });
  assert.deepEqual(r.instances?.find((i) => i.id === 3001), {
    id: 3001,
    class: 3,
    pixels: 140,
    bbox: [20, 18, 33, 27],
  });
  assert.equal(r.boundarySource, "inst");
  assert.equal(r.boundaryPixels, 538); // sum of edge_map.npy
  assert.deepEqual(r.problems, []);
  const tooFew = await inspectLabel(join(PARITY, "label.png"), { label_nc: 3 });
  assert.match(
    tooFew.problems[0].message,
    /id 3 \(280 px\), id 4 \(246 px\) outside 0…2 \(label_nc 3\): raise label_nc to 5/,
  );
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("inspectDataset of the bundled sample finds no problem and the label ids", async () => {
  const r = await inspectDataset(BUNDLED, { label_nc: 35 });
  assert.equal(r.dataset, "aligned");
  assert.equal(r.samples, 8);
  assert.deepEqual(r.counts, { label: 8, inst: 8, image: 8 });
  assert.deepEqual(r.sizes, { "512×256": 8 });
  assert.equal(r.maxLabelId, 33);
  assert.equal(r.suggestedLabelNc, undefined);
  assert.deepEqual(r.problems, []);
});

Deno.test("inspectDataset reports every problem of a dataset in one pass and suggests label_nc", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2phd_inspect_" });
  try {
    await makeAligned(dir, ["a", "b", "c", "d", "e"]);
    await writePng(join(dir, "train_label", "a.png"), 16, 8, mapOf(16, 8, (x) => (x === 0 ? 40 : 1))); // id ≥ label_nc
    await writePng(
      join(dir, "train_inst", "b.png"),
      16,
      8,
      mapOf(16, 8, (x) => ((x >> 2) % 3 === 2 ? 208 : (x >> 2) % 3)),
    ); // 8-bit, lost ids
    await writePng(join(dir, "train_img", "c.png"), 4, 4, new Uint8Array(48), 3); // wrong size
    await Deno.writeFile(
      join(dir, "train_img", "d.png"),
      (await Deno.readFile(join(dir, "train_img", "d.png"))).slice(0, 40),
    ); // truncated
    await Deno.rename(join(dir, "train_inst", "e.png"), join(dir, "train_inst", "f.png")); // unmatched
    const r = await inspectDataset(dir, { label_nc: 35 });
    const text = r.problems.map((p) => `${p.file}: ${p.message}`).join("\n");
    assert.match(text, /train_label\/e\.png: has no partner in .*train_inst/);
    assert.match(text, /train_inst\/f\.png: has no label map/);
    assert.match(text, /train_label\/a\.png: has id 40 \(8 px\) outside 0…34/);
    assert.match(text, /train_inst\/b\.png: instance map is 8-bit and has lost its ids/);
    assert.match(text, /train_img\/c\.png: is 4×4 but its label map/);
    assert.match(text, /train_img\/d\.png: is not a readable PNG/);
    assert.equal(r.problems.length, 6);
    assert.equal(r.suggestedLabelNc, 41);
    const unknown = await inspectDataset(join(dir, "train_label"));
    assert.match(unknown.problems[0].message, /is not a known dataset layout/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the inspect script prints a report, exits 0 when fine and 1 naming the id and pixel count", async () => {
  const ok = await runInspect([
    join(PARITY, "label.png"),
    "--inst",
    join(PARITY, "inst.png"),
    "--label_nc",
    "5",
    "--json",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).boundaryPixels, 538);
  const bad = await runInspect([join(PARITY, "label.png"), "--label_nc", "4"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /id 4 \(246 px\) outside 0…3/);
  const data = await runInspect(["--dataroot", BUNDLED, "--phase", "test"]);
  assert.equal(data.code, 0, data.stderr);
  assert.match(data.stdout, /15 complete sample\(s\)/);
  const usage = await runInspect([]);
  assert.equal(usage.code, 2);
  const missing = await runInspect(["/nonexistent.png"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\/nonexistent\.png: cannot be read \(file not found\)/);
});

Deno.test("inspectDataset with label_nc 0 checks {phase}_inst as training reads it (8-bit ids are not label-checked)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "p2phd_inspect_rgb_" });
  try {
    await writePng(join(dir, "train_A", "x.png"), 16, 16, new Uint8Array(16 * 16 * 3).fill(200), 3);
    await writePng(join(dir, "train_B", "x.png"), 16, 16, new Uint8Array(16 * 16 * 3), 3);
    const missing = await inspectDataset(dir, { label_nc: 0 });
    assert.equal(missing.problems.length, 1);
    assert.match(missing.problems[0].file, /train_inst$/);
    assert.match(missing.problems[0].message, /does not exist .*or pass --no_instance/);
    assert.deepEqual((await inspectDataset(dir, { label_nc: 0, no_instance: true })).problems, []);
    await writePng(join(dir, "train_inst", "x.png"), 16, 16, mapOf(16, 16, (x) => 1 + (x >> 3)));
    const fine = await inspectDataset(dir, { label_nc: 0 });
    assert.deepEqual(fine.problems, []);
    assert.equal(fine.counts.inst, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
