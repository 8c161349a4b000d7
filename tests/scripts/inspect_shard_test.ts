import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../kernel/cli.ts";
import type { ShardManifest } from "../../kernel/shard_job.ts";
import { inspectCommand } from "../../scripts/inspect.ts";
import { recordingIO } from "../plugins/features/_tiny_model.ts";
import { writeTinyDataset } from "../plugins/features/_tiny_dataset.ts";

Deno.test("inspect --shard 2/3 reads only its third of the samples and leaves its report and manifest", async () => {
  const root = await Deno.makeTempDir();
  const data = await writeTinyDataset(join(root, "data"));
  const dir = join(root, "reports");
  const io = recordingIO();
  const args = ["--dataroot", data, "--label_nc", "35", "--shard", "2/3", "--shard_dir", dir, "--json"];
  assert.equal(await runCli(inspectCommand, args, io), 0, io.err.join(""));
  const report = JSON.parse(io.out.join(""));
  assert.equal(report.samples, 6); // the layout: every sample is indexed
  assert.deepEqual(report.sizes, { "64×32": 2 }); // …but only this shard's are read
  assert.deepEqual(report.problems, []);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "report-2-of-3.json"))), report);
  const manifest: ShardManifest = JSON.parse(await Deno.readTextFile(join(dir, "shard-2-of-3.json")));
  assert.deepEqual([manifest.command, manifest.inputs], ["inspect", ["scene_c", "scene_d"]]);
  assert.deepEqual(manifest.outputs, [join(dir, "report-2-of-3.json")]);
  await Deno.remove(root, { recursive: true });
});
