import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../../kernel/cli.ts";
import { tf } from "../../../backends/tf.ts";
import type { ShardManifest } from "../../../kernel/shard_job.ts";
import { encodeFeaturesCommand } from "../../../scripts/encode_features.ts";
import { precomputeFeatureMapsCommand } from "../../../scripts/precompute_feature_maps.ts";
import { loadRows, ROWS_FORMAT } from "../../../plugins/features/rows_file.ts";
import { recordingIO, saveTinyModel } from "./_tiny_model.ts";
import { filesUnder, TINY_NAMES, writeTinyDataset } from "./_tiny_dataset.ts";

await tf.setBackend("cpu");

async function setup() {
  const root = await Deno.makeTempDir();
  await saveTinyModel(join(root, "tiny"));
  const data = await writeTinyDataset(join(root, "data"));
  return { root, data, common: ["--name", "tiny", "--checkpoints_dir", root, "--backend", "cpu"] };
}

async function cli(
  command: typeof encodeFeaturesCommand | typeof precomputeFeatureMapsCommand,
  args: string[],
) {
  const io = recordingIO();
  const code = await runCli(command, args, io);
  assert.equal(code, 0, io.err.join(""));
  return io.out.join("");
}

Deno.test("encode_features shards write every image's rows, and --merge writes the clusters file of one process, byte for byte", async () => {
  const { root, data, common } = await setup();
  const encode = [...common, "--dataroot", data, "--n_clusters", "2"];
  await cli(encodeFeaturesCommand, [...encode, "--out", join(root, "one.json")]);
  const tensors = tf.memory().numTensors;
  const rowsDir = join(root, "rows");
  for (const i of [1, 2, 3]) {
    await cli(encodeFeaturesCommand, [...encode, "--shard", `${i}/3`, "--rows_dir", rowsDir]);
  }
  assert.equal(tf.memory().numTensors, tensors, "the shards leaked tensors");
  assert.deepEqual(
    [...Deno.readDirSync(rowsDir)].map((e) => e.name).sort(),
    [...TINY_NAMES.map((n) => `${n}.json`), "shards"],
  );
  const doc = JSON.parse(await Deno.readTextFile(join(rowsDir, "scene_a.json")));
  assert.deepEqual([doc.format, doc.name, doc.model, doc.label_nc, doc.feat_num], [
    ROWS_FORMAT,
    "scene_a",
    "tiny@latest",
    35,
    3,
  ]);
  assert.deepEqual(Object.keys(doc.rows), ["7", "11", "24", "26"]);
  const report = JSON.parse(
    await cli(encodeFeaturesCommand, [
      ...encode,
      "--merge",
      "--rows_dir",
      rowsDir,
      "--out",
      join(root, "merged.json"),
      "--json",
    ]),
  );
  assert.equal(report.images, 6);
  const one = await Deno.readFile(join(root, "one.json"));
  assert.ok(one.length > 100);
  assert.deepEqual(await Deno.readFile(join(root, "merged.json")), one);
  await Deno.remove(root, { recursive: true });
});

Deno.test("encode_features --merge names the images whose shard has not finished; a rerun of that shard encodes only them", async () => {
  const { root, data, common } = await setup();
  const encode = [...common, "--dataroot", data, "--n_clusters", "2"];
  for (const i of [1, 2]) await cli(encodeFeaturesCommand, [...encode, "--shard", `${i}/2`]);
  const rowsDir = join(root, "tiny", "feature_rows");
  await Deno.remove(join(rowsDir, "scene_e.json")); // shard 2/2 was killed before it wrote scene_e
  const io = recordingIO();
  assert.equal(await runCli(encodeFeaturesCommand, [...encode, "--merge"], io), 1);
  assert.match(
    io.err.join(""),
    /^error: .*feature_rows: has no feature rows for 1 of 6 image\(s\) \(scene_e\): run or rerun the encode_features shards first/,
  );
  const before = Deno.statSync(join(rowsDir, "scene_d.json")).mtime!.getTime();
  await cli(encodeFeaturesCommand, [...encode, "--shard", "2/2"]);
  const manifest: ShardManifest = JSON.parse(
    await Deno.readTextFile(join(rowsDir, "shards", "shard-2-of-2.json")),
  );
  assert.deepEqual(manifest.inputs, ["scene_d", "scene_e", "scene_f"]);
  assert.deepEqual(manifest.skipped, ["scene_d", "scene_f"]);
  assert.deepEqual(manifest.outputs, [join(rowsDir, "scene_e.json")]);
  assert.equal(Deno.statSync(join(rowsDir, "scene_d.json")).mtime!.getTime(), before);
  await cli(encodeFeaturesCommand, [...encode, "--merge"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("feature rows from another model are refused by the merge", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "x.json");
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      format: ROWS_FORMAT,
      name: "x",
      model: "old@latest",
      label_nc: 35,
      feat_num: 3,
      rows: {},
    }),
  );
  await assert.rejects(
    loadRows(file, { model: "tiny@latest", label_nc: 35, feat_num: 3 }),
    /x\.json: was encoded with model "old@latest" but this run has "tiny@latest": it is left from another model/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("precompute_feature_maps in 2 shards writes the feature pictures of one run, byte for byte", async () => {
  const { root, data, common } = await setup();
  const other = await writeTinyDataset(join(root, "data2"));
  await cli(precomputeFeatureMapsCommand, [...common, "--dataroot", data]);
  for (const i of [1, 2]) {
    await cli(precomputeFeatureMapsCommand, [...common, "--dataroot", other, "--shard", `${i}/2`]);
  }
  const one = await filesUnder(join(data, "train_feat")), two = await filesUnder(join(other, "train_feat"));
  assert.deepEqual([...one.keys()], TINY_NAMES.map((n) => `${n}.png`));
  assert.deepEqual(two, one);
  const manifest: ShardManifest = JSON.parse(
    await Deno.readTextFile(join(other, "train_feat", "shards", "shard-1-of-2.json")),
  );
  assert.deepEqual(manifest.inputs, ["scene_a", "scene_b", "scene_c"]);
  assert.equal(manifest.outputs.length, 3);
  await Deno.remove(root, { recursive: true });
});
