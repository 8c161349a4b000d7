import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckpointError, DataError } from "../../../kernel/errors.ts";
import { createLogger, type Logger } from "../../../kernel/log.ts";
import { loadCheckpoint } from "../../../plugins/train/checkpoint.ts";
import { DivergedError } from "../../../plugins/train/session.ts";
import { train } from "../../../plugins/train/trainer.ts";
import { tinyOptions, trainingBackend, writeTinyDataset } from "./_fixtures.ts";

const backend = await trainingBackend();
const quiet: Logger = createLogger("silent");
const root = await writeTinyDataset(2);

Deno.test(`train() with netG local and niter_fix_global 1 leaves the global part unchanged in epoch 1 (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  const local = {
    netG: "local",
    n_downsample_global: 1,
    n_blocks_local: 1,
    niter: 2,
    niter_fix_global: 1,
    max_dataset_size: 1,
  };
  const start = await train(tinyOptions(root, dir, local), { log: quiet, maxIterations: 0 });
  assert.equal(start.status, "paused");
  const g0 = (await loadCheckpoint(join(dir, "tiny"), "latest")).networks.get("G")!;
  await train(tinyOptions(root, dir, { ...local, continue_train: true }), { log: quiet, maxIterations: 1 });
  const g1 = (await loadCheckpoint(join(dir, "tiny"), "latest")).networks.get("G")!;
  const changed = (a: typeof g0, b: typeof g0, prefix: string) =>
    [...a].filter(([n]) => n.startsWith(prefix)).filter(([n, t]) =>
      t.data.some((v, i) => v !== b.get(n)!.data[i])
    ).length;
  assert.equal(changed(g1, g0, "model."), 0, "global part fixed in epoch 1");
  assert.ok(changed(g1, g0, "model1_") > 0, "the enhancer trains in epoch 1");
  await train(tinyOptions(root, dir, { ...local, continue_train: true }), { log: quiet });
  const g2 = (await loadCheckpoint(join(dir, "tiny"), "latest")).networks.get("G")!;
  assert.ok(changed(g2, g1, "model.") > 0, "the global part trains from epoch 2");
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`train() stops on NaN losses naming the iteration, leaving the last good checkpoint intact (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  const opts = tinyOptions(root, dir, { lr: 1e30, niter: 5, save_latest_freq: 1 });
  let error: Error | undefined;
  try {
    await train(opts, { log: quiet });
  } catch (e) {
    error = e as Error;
  }
  assert.ok(error instanceof DivergedError, String(error));
  const m =
    /training diverged at epoch (\d+), iteration (\d+) \(.*(NaN|Infinity).*\); the last good checkpoint "latest" \(iteration (\d+)\) in .* is untouched/
      .exec(error.message);
  assert.ok(m, error.message);
  assert.equal(Number(m[4]), Number(m[2]) - 1);
  const kept = await loadCheckpoint(join(dir, "tiny"), "latest");
  assert.equal(kept.trainer.total_steps, Number(m[4]));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train() refuses a dataset that fails inspect, before the first iteration, with its report", async () => {
  const bad = await writeTinyDataset(2);
  await Deno.remove(join(bad, "train_img", "s1.png"));
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () => train(tinyOptions(bad, dir), { log: quiet }),
    (e: Error) =>
      e instanceof DataError && /is not ready for training, \d+ problem\(s\)/.test(e.message) &&
      /s1/.test(e.message),
  );
  await assert.rejects(
    () => train(tinyOptions(root, dir, { label_nc: 3 }), { log: quiet }),
    /is not ready for training, 2 problem\(s\) \(label ids go up to 3: --label_nc 4\?\): .*s0\.png: has id 3 \(\d+ px\) outside/,
  );
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`train() with continue_train reports every option that conflicts with the checkpoint (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  await train(tinyOptions(root, dir), { log: quiet, maxIterations: 0 });
  await assert.rejects(
    () =>
      train(tinyOptions(root, dir, { continue_train: true, ngf: 8, num_D: 1, print_freq: 5 }), {
        log: quiet,
      }),
    (e: Error) =>
      e instanceof CheckpointError &&
      /latest_train_state\.safetensors: the command line conflicts with the run's stored options \(ngf: stored 4, given 8; num_D: stored 2, given 1\)/
        .test(e.message),
  );
  await assert.rejects(
    () => train(tinyOptions(root, join(dir, "none"), { continue_train: true }), { log: quiet }),
    /there is no checkpoint "latest" of run "tiny" to continue; drop --continue_train/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`train() aborted by its signal saves latest and says so (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  const abort = new AbortController();
  const log: Logger = {
    ...quiet,
    progress: (label) => ({ tick: () => label === "train" && abort.abort(), stop() {} }),
  };
  const r = await train(tinyOptions(root, dir, { niter: 3 }), { log, signal: abort.signal });
  assert.deepEqual([r.status, r.totalSteps], ["interrupted", 1]);
  const saved = await loadCheckpoint(join(dir, "tiny"), "latest");
  assert.deepEqual([saved.trainer.epoch, saved.trainer.epoch_iter, saved.trainer.total_steps], [1, 1, 1]);
  await Deno.remove(dir, { recursive: true });
});
