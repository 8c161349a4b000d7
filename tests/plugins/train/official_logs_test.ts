import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckpointError } from "../../../kernel/errors.ts";
import { createLogger } from "../../../kernel/log.ts";
import { readLossLog } from "../../../plugins/train/loss_log.ts";
import {
  cTime,
  lossLogHeader,
  lossLogLine,
  optionsText,
  pyFixed,
  pyFloat,
  readIterFile,
  writeIterFile,
} from "../../../plugins/train/official_logs.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { train } from "../../../plugins/train/trainer.ts";
import { tinyOptions, trainingBackend, writeTinyDataset } from "./_fixtures.ts";

const backend = await trainingBackend();
const quiet = createLogger("silent");

Deno.test("pyFixed and pyFloat print as Python's '%.3f' and str(float) (values printed by Python 3.11)", () => {
  // python3 -c "print('%.3f %.3f %.3f %.3f' % (0.0625, 2.0005, 1e-5, -0.0625))"
  assert.deepEqual([pyFixed(0.0625), pyFixed(2.0005), pyFixed(1e-5), pyFixed(-0.0625)], [
    "0.062",
    "2.001",
    "0.000",
    "-0.062",
  ]);
  assert.equal(pyFixed(0.1875), "0.188"); // exact tie, 7 is odd: up
  assert.equal(pyFixed(8.60649871826171875), "8.606");
  // python3 -c "print(str(1e-05), str(10.0), str(0.0002), str(1e16), str(1.5e-7), str(123456789012345678.0))"
  assert.deepEqual(
    [1e-5, 10, 0.0002, 1e16, 1.5e-7, 123456789012345678].map(pyFloat),
    ["1e-05", "10.0", "0.0002", "1e+16", "1.5e-07", "1.2345678901234568e+17"],
  );
});

Deno.test("loss_log.txt lines and header are the official Visualizer's", () => {
  const losses = { G_GAN: 2.0954, G_GAN_Feat: 8.6061, G_VGG: 0, D_real: 2.0674, D_fake: 0.1158 };
  const step = { epoch: 3, epochIter: 120, time: 0.24449 };
  assert.equal(
    lossLogLine(step, losses, { no_ganFeat_loss: false, no_vgg_loss: true }),
    "(epoch: 3, iters: 120, time: 0.244) G_GAN: 2.095 G_GAN_Feat: 8.606 D_real: 2.067 D_fake: 0.116 \n",
  );
  assert.equal(
    lossLogLine(step, { ...losses, G_VGG: 1.5 }, { no_ganFeat_loss: true, no_vgg_loss: false }),
    "(epoch: 3, iters: 120, time: 0.244) G_GAN: 2.095 G_VGG: 1.500 D_real: 2.067 D_fake: 0.116 \n",
  );
  // python3 -c "import time; print(time.strftime('%c', time.struct_time((2026,12,2,8,47,59,2,336,0))))"
  assert.equal(cTime(new Date(2026, 11, 2, 8, 47, 59)), "Wed Dec  2 08:47:59 2026");
  assert.equal(
    lossLogHeader(new Date(2026, 0, 15, 23, 5, 9)),
    "================ Training Loss (Thu Jan 15 23:05:09 2026) ================\n",
  );
});

Deno.test("opt.txt is base_options.py's sorted 'key: str(value)' block", () => {
  const text = optionsText(resolveTrainOptions({ name: "x", label_nc: 4 }));
  const lines = text.split("\n");
  assert.equal(lines[0], "------------ Options -------------");
  assert.equal(lines.at(-2), "-------------- End ----------------");
  assert.equal(lines.at(-1), "");
  const body = lines.slice(1, -2);
  assert.deepEqual(body, [...body].sort());
  for (
    const line of [
      "batchSize: 1",
      "lambda_feat: 10.0",
      "lr: 0.0002",
      "max_dataset_size: inf",
      "no_flip: False",
    ]
  ) {
    assert.ok(body.includes(line), line);
  }
});

Deno.test("iter.txt is numpy's savetxt of (epoch, epoch_iter) and reads back, also comma-separated", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "iter.txt");
  assert.equal(await readIterFile(path), null);
  await writeIterFile(path, 3, 120);
  // python3 -c "import numpy as np; np.savetxt('iter.txt', (3, 120), delimiter=',', fmt='%d')" → "3\n120\n"
  assert.equal(await Deno.readTextFile(path), "3\n120\n");
  assert.deepEqual(await readIterFile(path), { epoch: 3, epochIter: 120 });
  await Deno.writeTextFile(path, "4,8\n");
  assert.deepEqual(await readIterFile(path), { epoch: 4, epochIter: 8 });
  await Deno.writeTextFile(path, "4\n");
  await assert.rejects(
    () => readIterFile(path),
    (e: Error) => e instanceof CheckpointError && /iter\.txt/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`train() writes loss_log.txt, opt.txt and iter.txt beside loss_log.jsonl; a continued run appends (${backend})`, async () => {
  const root = await writeTinyDataset(2);
  const dir = await Deno.makeTempDir();
  const run = join(dir, "tiny");
  await train(tinyOptions(root, dir), { log: quiet, maxIterations: 1 });
  assert.equal(await Deno.readTextFile(join(run, "iter.txt")), "1\n1\n");
  const opt = await Deno.readTextFile(join(run, "opt.txt"));
  assert.match(opt, /\nname: tiny\nndf: 4\nnef: 16\n/);
  await Deno.writeTextFile(join(run, "opt.txt"), "kept");
  await train(tinyOptions(root, dir, { continue_train: true }), { log: quiet });
  assert.equal(await Deno.readTextFile(join(run, "opt.txt")), "kept", "not rewritten on --continue_train");
  assert.equal(
    await Deno.readTextFile(join(run, "iter.txt")),
    "2\n0\n",
    "the end of epoch 1: (epoch + 1, 0)",
  );
  const lines = (await Deno.readTextFile(join(run, "loss_log.txt"))).split("\n").filter(Boolean);
  const records = await readLossLog(join(run, "loss_log.jsonl"));
  assert.equal(lines.filter((l) => l.startsWith("================ Training Loss (")).length, 2);
  const official = lines.filter((l) => l.startsWith("(epoch"));
  assert.equal(official.length, records.length);
  assert.equal(records.length, 2);
  for (const [i, r] of records.entries()) {
    assert.equal(
      official[i],
      `(epoch: ${r.epoch}, iters: ${r.epoch_iter}, time: ${pyFixed(r.time)}) G_GAN: ${pyFixed(r.G_GAN)} ` +
        `G_GAN_Feat: ${pyFixed(r.G_GAN_Feat)} D_real: ${pyFixed(r.D_real)} D_fake: ${pyFixed(r.D_fake)} `,
    );
  }
  assert.deepEqual(
    [...Deno.readDirSync(run)].filter((e) => e.name.endsWith(".tmp")),
    [],
    "no temp file left",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("opt.txt writes every option the official one has exactly as train.py wrote it for the same flags", async () => {
  // tests/fixtures/official_run/make_official_run.py's flags; its opt.txt was written by base_options.py
  const opts = resolveTrainOptions({
    name: "official_tiny",
    gpu_ids: "-1",
    nThreads: 0,
    label_nc: 4,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    ndf: 4,
    n_layers_D: 2,
    num_D: 2,
    no_vgg_loss: true,
    instance_feat: true,
    nef: 4,
    n_downsample_E: 2,
    resize_or_crop: "none",
    niter: 1,
    niter_decay: 1,
    save_latest_freq: 3,
    print_freq: 1,
    no_html: true,
    no_flip: true,
    serial_batches: true,
  });
  const parse = (text: string) =>
    new Map(text.split("\n").filter((l) => l.includes(": ")).map((l) => [l.slice(0, l.indexOf(": ")), l]));
  const official = parse(
    await Deno.readTextFile(new URL("../../fixtures/official_run/official_tiny/opt.txt", import.meta.url)),
  );
  const ours = parse(optionsText(opts));
  const shared = [...ours.keys()].filter((k) =>
    official.has(k) && k !== "dataroot" && k !== "checkpoints_dir"
  );
  assert.ok(shared.length >= 45, `${shared.length} options in common`);
  for (const k of shared) assert.equal(ours.get(k), official.get(k));
});
