import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { createLogger } from "../../../kernel/log.ts";
import { tf } from "../../../backends/tf.ts";
import { loadCheckpoint } from "../../../plugins/train/checkpoint.ts";
import { readLossLog } from "../../../plugins/train/loss_log.ts";
import { train } from "../../../plugins/train/trainer.ts";
import { assertOfficialLosses, tinyOptions, trainingBackend, writeTinyRgbDataset } from "./_fixtures.ts";

const backend = await trainingBackend();
const quiet = createLogger("silent");

Deno.test(`train() with label_nc 0 and instance maps: G and D take the RGB input + boundary channel, the page shows the input (${backend})`, async () => {
  const root = await writeTinyRgbDataset(2);
  const dir = await Deno.makeTempDir();
  const before = tf.memory().numTensors;
  const result = await train(
    tinyOptions(root, dir, { label_nc: 0, no_flip: true, serial_batches: true, display_freq: 1 }),
    { log: quiet },
  );
  assert.equal(result.status, "finished");
  assert.equal(tf.memory().numTensors, before, "train() leaves no tensor behind");
  const ck = await loadCheckpoint(join(dir, "tiny"), "latest");
  // official: netG input_nc = input_nc 3 + 1 boundary; netD input_nc = 3 + 1 + output_nc 3
  assert.deepEqual(ck.networks.get("G")!.get("model.1.weight")!.shape, [4, 4, 7, 7]);
  assert.deepEqual(ck.networks.get("D")!.get("scale0_layer0.0.weight")!.shape, [4, 7, 4, 4]);
  const page = await Deno.readTextFile(join(dir, "tiny", "web", "index.html"));
  assert.match(page, /epoch001_iter0000002_input_label\.png/);
  const shown = decode(
    await Deno.readFile(join(dir, "tiny", "web", "images", "epoch001_iter0000002_input_label.png")),
  );
  const given = decode(await Deno.readFile(join(root, "train_A", "s1.png")));
  assert.equal(shown.channels, 3);
  let worst = 0;
  for (let i = 0; i < given.data.length; i++) {
    worst = Math.max(worst, Math.abs(shown.data[i] - given.data[i]));
  }
  assert.ok(
    worst <= 1,
    `the page's input image is the RGB input (tensor2im truncation: ≤ 1 level), off by ${worst}`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`label_nc 0 with instance maps is the official input: continued from the official train.py's save, the next losses are its own (${backend})`, async () => {
  // tests/fixtures/official_run/make_official_rgb_run.py: the official run on these samples, saved at
  // epoch 2, iteration 1; its loss_log.txt has the losses of epoch 2, iteration 2.
  const official = new URL("../../fixtures/official_run/official_rgb", import.meta.url).pathname;
  const root = await writeTinyRgbDataset(2);
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "tiny"));
  for await (const e of Deno.readDir(official)) {
    await Deno.copyFile(join(official, e.name), join(dir, "tiny", e.name));
  }
  const result = await train(
    tinyOptions(root, dir, {
      label_nc: 0,
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
