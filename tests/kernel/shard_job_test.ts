import assert from "node:assert/strict";
import { join } from "node:path";
import { manifestPath, ShardJob, type ShardManifest } from "../../kernel/shard_job.ts";

const NAMES = ["d", "a", "c", "b", "f", "e"];

Deno.test("ShardJob owns its contiguous part of the sorted inputs", () => {
  const job = new ShardJob("synth", NAMES, { index: 1, count: 3, from: "--shard" }, "/unused");
  assert.deepEqual(job.inputs, ["c", "d"]);
  assert.ok(job.owns("c") && !job.owns("a"));
  assert.equal(job.describe(6), "shard 2/3 (from --shard): 2 of 6 input(s)");
});

Deno.test("a sharded ShardJob skips inputs whose files all exist, clears a killed run's temp files, and writes a manifest", async () => {
  const dir = await Deno.makeTempDir();
  const shard = { index: 0, count: 2, from: "JOB_COMPLETION_INDEX" };
  const job = new ShardJob("encode_features", NAMES, shard, join(dir, "shards"));
  assert.deepEqual(job.inputs, ["a", "b", "c"]);
  await Deno.writeTextFile(join(dir, "a.json"), "{}");
  await Deno.writeTextFile(join(dir, ".b.json.0badc0de.tmp"), "{half"); // what a killed writer leaves
  assert.equal(await job.done("a", [join(dir, "a.json")]), true);
  assert.equal(await job.done("b", [join(dir, "b.json")]), false);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a.json"]);
  job.record("b", [join(dir, "b.json")], 0.25);
  const path = await job.finish();
  assert.equal(path, manifestPath(join(dir, "shards"), shard));
  assert.ok(path!.endsWith("shards/shard-1-of-2.json"));
  const manifest: ShardManifest = JSON.parse(await Deno.readTextFile(path!));
  assert.deepEqual(
    { ...manifest, timings: undefined },
    {
      format: "pix2pixhd-deno-shard/1",
      command: "encode_features",
      shard: { index: 1, count: 2, from: "JOB_COMPLETION_INDEX" },
      inputs: ["a", "b", "c"],
      outputs: [join(dir, "b.json")],
      skipped: ["a"],
      timings: undefined,
    },
  );
  assert.deepEqual(manifest.timings.per_input, { b: 0.25 });
  assert.ok(Date.parse(manifest.timings.finished) >= Date.parse(manifest.timings.started));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("without a shard a ShardJob does every input, never skips, and writes no manifest", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "a.json"), "{}");
  const job = new ShardJob("synth", NAMES, null, join(dir, "shards"));
  assert.deepEqual(job.inputs, ["a", "b", "c", "d", "e", "f"]);
  assert.equal(await job.done("a", [join(dir, "a.json")]), false);
  assert.equal(await job.finish(), null);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.json"]);
  await Deno.remove(dir, { recursive: true });
});
