import assert from "node:assert/strict";
import { join } from "node:path";
import { decode, encode } from "fast-png";
import { type CliIO, runCli } from "../../../kernel/cli.ts";
import { OptionsError } from "../../../kernel/errors.ts";
import { createLogger } from "../../../kernel/log.ts";
import { tf } from "../../../backends/tf.ts";
import { loadCheckpoint } from "../../../plugins/train/checkpoint.ts";
import { readLossLog } from "../../../plugins/train/loss_log.ts";
import { epochBatches, openTrainingData } from "../../../plugins/train/data.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { train } from "../../../plugins/train/trainer.ts";
import { precomputeFeatureMapsCommand } from "../../../scripts/precompute_feature_maps.ts";
import { assertOfficialLosses, tinyOptions, trainingBackend, writeTinyDataset } from "./_fixtures.ts";

const backend = await trainingBackend();
const quiet = createLogger("silent");

function captureIO(): CliIO & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (t) => void out.push(t),
    stderr: (t) => void out.push(t),
    color: { stdout: false, stderr: false },
    env: (name) => (name === "P2PHD_BACKEND" ? backend : undefined),
  };
}

/** Writes a 64×32 feature picture per sample whose pixel (x, y) is (4x, 8y, 100 + s). */
async function writeFeatures(root: string, count: number): Promise<void> {
  await Deno.mkdir(join(root, "train_feat"), { recursive: true });
  for (let s = 0; s < count; s++) {
    const data = new Uint8Array(64 * 32 * 3);
    for (let i = 0; i < 64 * 32; i++) data.set([(i % 64) * 4, Math.floor(i / 64) * 8, 100 + s], i * 3);
    await Deno.writeFile(
      join(root, "train_feat", `s${s}.png`),
      encode({ width: 64, height: 32, channels: 3, depth: 8, data }),
    );
  }
}

Deno.test("--load_features: the batches carry the {phase}_feat pictures as `feat` in [-1, 1], outside D's `input`", async () => {
  const root = await writeTinyDataset(1);
  await writeFeatures(root, 1);
  const opts = resolveTrainOptions(
    tinyOptions(root, "unused", { instance_feat: true, load_features: true, no_flip: true }),
  );
  const data = await openTrainingData(opts, quiet);
  const before = tf.memory().numTensors;
  for await (const s of epochBatches(data, 1, 0)) {
    assert.deepEqual((s.input as tf.Tensor).shape, [1, 32, 64, 5], "4 labels + 1 boundary, no features");
    const feat = s.feat as tf.Tensor;
    assert.deepEqual(feat.shape, [1, 32, 64, 3]);
    const v = await feat.data();
    // pixel (x 3, y 2): (12, 16, 100) → (v/255 − 0.5)/0.5, float32 as torchvision's Normalize
    const at = (2 * 64 + 3) * 3;
    const unit = (b: number) => Math.fround(Math.fround(b / 255) - 0.5) / 0.5;
    assert.deepEqual([v[at], v[at + 1], v[at + 2]], [unit(12), unit(16), unit(100)]);
    tf.dispose(Object.values(s).filter((x) => x instanceof tf.Tensor) as tf.Tensor[]);
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("--load_features without its folder, features or feat_num 3 is one line naming the fix", async () => {
  const root = await writeTinyDataset(1);
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () => train(tinyOptions(root, dir, { instance_feat: true, load_features: true }), { log: quiet }),
    /train_feat: does not exist but .*train_label has 1 file\(s\): write the feature maps with `deno task precompute_feature_maps`, or drop --load_features/,
  );
  assert.throws(
    () => resolveTrainOptions({ load_features: true }),
    (e: Error) => e instanceof OptionsError && /--instance_feat or --label_feat/.test(e.message),
  );
  assert.throws(
    () => resolveTrainOptions({ load_features: true, instance_feat: true, feat_num: 4 }),
    /needs --feat_num 3/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`the official 1024p feature recipe: precompute_feature_maps, then train --netG local … --instance_feat --load_features (${backend})`, async () => {
  const root = await writeTinyDataset(2);
  const dir = await Deno.makeTempDir();
  const small = { instance_feat: true, nef: 4, n_downsample_E: 2 };
  // 1. the "512p" model: a global generator with its encoder, at half the size (loadSize 32 of 64×32)
  await train(
    tinyOptions(root, dir, {
      ...small,
      name: "X_512p_feat",
      ngf: 8,
      resize_or_crop: "scale_width",
      loadSize: 32,
    }),
    { log: quiet },
  );
  // 2. deno task precompute_feature_maps --name X_512p_feat
  const io = captureIO();
  const code = await runCli(precomputeFeatureMapsCommand, [
    "--name",
    "X_512p_feat",
    "--checkpoints_dir",
    dir,
  ], io);
  assert.equal(code, 0, io.out.join(""));
  const feat = decode(await Deno.readFile(join(root, "train_feat", "s0.png")));
  assert.deepEqual([feat.width, feat.height, feat.channels], [64, 32, 3], "×2 of the 32×16 encoding");
  // 3. deno task train --name X_1024p_feat --netG local --ngf 32 --num_D 3 --load_pretrain … --niter_fix_global 10
  //    --resize_or_crop none --instance_feat --load_features   (tiny: ngf 4, whose global part has ngf 8)
  const before = tf.memory().numTensors;
  const result = await train(
    tinyOptions(root, dir, {
      ...small,
      name: "X_1024p_feat",
      netG: "local",
      ngf: 4,
      num_D: 3,
      load_pretrain: join(dir, "X_512p_feat"),
      niter_fix_global: 10,
      resize_or_crop: "none",
      load_features: true,
    }),
    { log: quiet },
  );
  assert.equal(result.status, "finished");
  assert.equal(tf.memory().numTensors, before, "train() leaves no tensor behind");
  const ck = await loadCheckpoint(join(dir, "X_1024p_feat"), "latest");
  assert.deepEqual(
    [...ck.networks.keys()].sort(),
    ["D", "G"],
    "no encoder is trained (official gen_features)",
  );
  // G's input: 4 labels + 1 boundary + 3 loaded features, in both the enhancer and the global part
  assert.deepEqual(ck.networks.get("G")!.get("model1_1.1.weight")!.shape, [4, 8, 7, 7]);
  assert.deepEqual(ck.networks.get("G")!.get("model.1.weight")!.shape, [8, 8, 7, 7]);
  // D's input: the labels and boundary, not the features (official netD_input_nc)
  assert.deepEqual(ck.networks.get("D")!.get("scale0_layer0.0.weight")!.shape, [4, 8, 4, 4]);
  assert.equal(ck.config.load_features, true);
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`--load_features is the official one: continued from the official train.py's save, the next losses are its own (${backend})`, async () => {
  // tests/fixtures/official_run/make_official_feat_run.py: the official run with --instance_feat
  // --load_features on these samples and pictures (scale_width to 32: the pictures are resized too),
  // saved at epoch 2, iteration 1; its loss_log.txt has the losses of epoch 2, iteration 2.
  const official = new URL("../../fixtures/official_run/official_feat", import.meta.url).pathname;
  const root = await writeTinyDataset(2);
  await writeFeatures(root, 2);
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "tiny"));
  for await (const e of Deno.readDir(official)) {
    await Deno.copyFile(join(official, e.name), join(dir, "tiny", e.name));
  }
  const result = await train(
    tinyOptions(root, dir, {
      instance_feat: true,
      load_features: true,
      resize_or_crop: "scale_width",
      loadSize: 32,
      continue_train: true,
      niter_decay: 1,
      save_latest_freq: 3,
      no_flip: true,
      serial_batches: true,
      no_html: true,
    }),
    { log: quiet },
  );
  assert.deepEqual([result.status, result.totalSteps], ["finished", 4]);
  const [record] = await readLossLog(join(dir, "tiny", "loss_log.jsonl"));
  assert.deepEqual([record.epoch, record.epoch_iter], [2, 2]);
  assertOfficialLosses(
    record,
    await Deno.readTextFile(join(official, "loss_log.txt")),
    "(epoch: 2, iters: 2,",
  );
  await Deno.remove(dir, { recursive: true });
});
