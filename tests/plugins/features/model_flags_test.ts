import assert from "node:assert/strict";
import { join } from "node:path";
import { EXIT, runCli } from "../../../kernel/cli.ts";
import { tf } from "../../../backends/tf.ts";
import { encodeFeaturesCommand } from "../../../scripts/encode_features.ts";
import { precomputeFeatureMapsCommand } from "../../../scripts/precompute_feature_maps.ts";
import { recordingIO, saveTinyModel } from "./_tiny_model.ts";

await tf.setBackend("cpu");

// the tiny model: global generator ngf 4, 2 downsamplings, 1 block; encoder nef 4, 2 downsamplings, 3 features
const root = await Deno.makeTempDir();
await saveTinyModel(join(root, "tiny"));
const base = ["--name", "tiny", "--checkpoints_dir", root, "--max_dataset_size", "1", "--backend", "cpu"];

Deno.test("encode_features and precompute_feature_maps take the official base options the scripts pass", async () => {
  const official = [
    ...["--label_nc", "35", "--netG", "global", "--ngf", "4", "--n_downsample_global", "2"],
    ...["--instance_feat", "--nef", "4", "--n_downsample_E", "2", "--feat_num", "3", "--norm", "instance"],
    ...["--resize_or_crop", "scale_width", "--loadSize", "64", "--gpu_ids", "-1", "--nThreads", "1"],
  ];
  let io = recordingIO();
  assert.equal(
    await runCli(encodeFeaturesCommand, [...base, ...official, "--n_clusters", "2"], io),
    EXIT.ok,
    io.err.join(""),
  );
  const data = await Deno.makeTempDir();
  for (const dir of ["train_label", "train_inst", "train_img"]) {
    await Deno.mkdir(join(data, dir));
    const from = new URL(`../../../datasets/cityscapes/${dir}/`, import.meta.url).pathname;
    const first = [...Deno.readDirSync(from)].map((e) => e.name).sort()[0];
    await Deno.copyFile(join(from, first), join(data, dir, first));
  }
  io = recordingIO();
  assert.equal(
    await runCli(precomputeFeatureMapsCommand, [...base, ...official, "--dataroot", data], io),
    EXIT.ok,
    io.err.join(""),
  );
  assert.equal([...Deno.readDirSync(join(data, "train_feat"))].length, 1);
});

Deno.test("a base option that does not match the checkpoint is one line naming it and the model's value, exit 1", async () => {
  for (const command of [encodeFeaturesCommand, precomputeFeatureMapsCommand]) {
    for (
      const [flags, pattern] of [
        [["--ngf", "32"], /--ngf 32 does not match the weights, which have ngf 4/],
        [["--netG", "local"], /--netG local does not match the weights, which have netG global/],
        [["--nef", "16"], /--nef 16 does not match the weights, which have nef 4/],
        [["--n_downsample_E", "4"], /which have n_downsample_E 2/],
        [["--label_nc", "20"], /--label_nc 20 does not match the model, which has label_nc 35/],
      ] as const
    ) {
      const io = recordingIO();
      assert.equal(await runCli(command, [...base, ...flags], io), EXIT.failed, flags.join(" "));
      assert.equal(io.err.length, 1, io.err.join(""));
      assert.match(io.err[0], pattern);
    }
  }
});

Deno.test("--fp16 and multi-GPU are refused by encode_features and precompute_feature_maps, exit 2", async () => {
  for (const command of [encodeFeaturesCommand, precomputeFeatureMapsCommand]) {
    for (const flags of [["--fp16"], ["--gpu_ids", "0,1"], ["--tf_log"]]) {
      const io = recordingIO();
      assert.equal(await runCli(command, [...base, ...flags], io), EXIT.usage, flags.join(" "));
      assert.doesNotMatch(io.err.join(""), /unknown option/);
    }
  }
});

globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
