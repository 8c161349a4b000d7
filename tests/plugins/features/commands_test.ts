import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { runCli } from "../../../kernel/cli.ts";
import { tf } from "../../../backends/tf.ts";
import { clustersFromJson } from "../../../plugins/features/clusters.ts";
import { encodeFeaturesCommand } from "../../../scripts/encode_features.ts";
import { precomputeFeatureMapsCommand } from "../../../scripts/precompute_feature_maps.ts";
import { recordingIO, SAMPLE, saveTinyModel } from "./_tiny_model.ts";

await tf.setBackend("cpu");

Deno.test("encode_features clusters a trained model's features over its training set", async () => {
  const root = await Deno.makeTempDir();
  await saveTinyModel(join(root, "tiny"));
  const io = recordingIO();
  const args = [
    "--name",
    "tiny",
    "--checkpoints_dir",
    root,
    "--max_dataset_size",
    "3",
    "--n_clusters",
    "2",
    "--backend",
    "cpu",
    "--json",
  ];
  const code = await runCli(encodeFeaturesCommand, args, io);
  assert.equal(code, 0, io.err.join(""));
  const report = JSON.parse(io.out.join(""));
  assert.equal(report.images, 3);
  const file = join(root, "tiny", "clusters_002.json");
  assert.equal(report.file, file);
  const clusters = clustersFromJson(await Deno.readTextFile(file), file);
  assert.deepEqual([clusters.feat_num, clusters.label_nc, clusters.n_clusters], [3, 35, 2]);
  assert.ok(clusters.centres.has(7) && clusters.centres.get(7)!.length <= 2); // every street has road
  assert.ok(report.classes.length === clusters.centres.size);
  await Deno.remove(root, { recursive: true });
});

Deno.test("encode_features fails with one line when the model has no encoder or no name", async () => {
  const root = await Deno.makeTempDir();
  await saveTinyModel(join(root, "tiny"));
  await Deno.remove(join(root, "tiny", "latest_net_E.safetensors"));
  const io = recordingIO();
  assert.equal(
    await runCli(
      encodeFeaturesCommand,
      ["--name", "tiny", "--checkpoints_dir", root, "--backend", "cpu"],
      io,
    ),
    1,
  );
  assert.match(
    io.err.join(""),
    /error: .*has no latest_net_E \(the encoder this instance_feat model needs\)/,
  );
  const io2 = recordingIO();
  assert.equal(await runCli(encodeFeaturesCommand, ["--backend", "cpu"], io2), 1);
  assert.match(io2.err.join(""), /"name" is required/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("precompute_feature_maps writes {phase}_feat pictures at twice the model's size", async () => {
  const root = await Deno.makeTempDir();
  await saveTinyModel(join(root, "tiny"));
  const data = join(root, "data");
  for (const sub of ["train_label", "train_inst", "train_img"]) {
    await Deno.mkdir(join(data, sub), { recursive: true });
    const first = [...Deno.readDirSync(join(SAMPLE, sub))].map((e) => e.name).sort()[0];
    await Deno.copyFile(join(SAMPLE, sub, first), join(data, sub, first));
  }
  const io = recordingIO();
  const args = [
    "--name",
    "tiny",
    "--checkpoints_dir",
    root,
    "--dataroot",
    data,
    "--backend",
    "cpu",
    "--json",
  ];
  assert.equal(await runCli(precomputeFeatureMapsCommand, args, io), 0, io.err.join(""));
  const files = [...Deno.readDirSync(join(data, "train_feat"))].map((e) => e.name);
  assert.deepEqual(files, ["aachen_000000_000019_gtFine_labelIds.png"]);
  const png = decode(await Deno.readFile(join(data, "train_feat", files[0])));
  assert.deepEqual([png.width, png.height, png.channels], [256, 128, 3]); // the model reads 128×64
  await Deno.remove(root, { recursive: true });
});
