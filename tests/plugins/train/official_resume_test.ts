import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckpointError } from "../../../kernel/errors.ts";
import type { Logger } from "../../../kernel/log.ts";
import { tf } from "../../../backends/tf.ts";
import { loadCheckpoint } from "../../../plugins/train/checkpoint.ts";
import { readLossLog } from "../../../plugins/train/loss_log.ts";
import { train } from "../../../plugins/train/trainer.ts";
import { assertOfficialLosses, tinyOptions, trainingBackend, writeTinyDataset } from "./_fixtures.ts";

const backend = await trainingBackend();
/** Made by the official train.py: tests/fixtures/official_run/make_official_run.py. */
const OFFICIAL = new URL("../../fixtures/official_run/official_tiny", import.meta.url).pathname;
const root = await writeTinyDataset(2);

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  return {
    lines,
    debug: keep,
    info: keep,
    warn: keep,
    error: keep,
    progress: () => ({ tick() {}, stop() {} }),
  };
}

/** The official run's flags (make_official_run.py), as a user retypes them with --continue_train. */
function officialFlags(dir: string, extra: Record<string, unknown> = {}) {
  return tinyOptions(root, dir, {
    name: "official_tiny",
    continue_train: true,
    instance_feat: true,
    nef: 4,
    n_downsample_E: 2,
    niter: 1,
    niter_decay: 1,
    save_latest_freq: 3,
    no_flip: true,
    serial_batches: true,
    no_html: true,
    ...extra,
  });
}

async function copyOfficialRun(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "official_tiny"));
  for await (const e of Deno.readDir(OFFICIAL)) {
    await Deno.copyFile(join(OFFICIAL, e.name), join(dir, "official_tiny", e.name));
  }
  return dir;
}

Deno.test(`--continue_train on an official run folder resumes at iter.txt's epoch and iteration with its .pth weights, and reproduces its next losses (${backend})`, async () => {
  const dir = await copyOfficialRun();
  const run = join(dir, "official_tiny");
  const officialLog = await Deno.readTextFile(join(run, "loss_log.txt"));
  const log = recordingLogger();
  const before = tf.memory().numTensors;
  const result = await train(officialFlags(dir), { log });
  assert.equal(tf.memory().numTensors, before, "train() leaves no tensor behind");
  assert.deepEqual([result.status, result.epoch, result.totalSteps], ["finished", 3, 4]);
  const said = log.lines.filter((l) => l.startsWith("resuming the official run"));
  assert.equal(said.length, 1, log.lines.join("\n"));
  assert.match(said[0], /latest_net_G\/D\/E\.pth .* at epoch 2, iteration 1 \(iter\.txt\)/);
  assert.match(
    said[0],
    /not carried over .*: the Adam moments and steps, the random state, the image pool; learning rate 0\.0002 from the schedule/,
  );
  // One iteration done: epoch 2's second sample, with the weights train.py saved after its third. Its
  // losses are those train.py logged for that iteration (same weights, same sample, no pool).
  const [record] = await readLossLog(join(run, "loss_log.jsonl"));
  assert.deepEqual([record.epoch, record.epoch_iter, record.total_steps], [2, 2, 4]);
  assertOfficialLosses(record, officialLog, "(epoch: 2, iters: 2,");
  assert.equal(await Deno.readTextFile(join(run, "iter.txt")), "3\n0\n");
  assert.ok((await Deno.readTextFile(join(run, "loss_log.txt"))).startsWith(officialLog), "appended to");
  const ours = await loadCheckpoint(run, "latest");
  assert.deepEqual([...ours.networks.keys()].sort(), ["D", "E", "G"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`--continue_train on an official run without iter.txt starts at epoch 1, as train.py, and says so (${backend})`, async () => {
  const dir = await copyOfficialRun();
  await Deno.remove(join(dir, "official_tiny", "iter.txt"));
  const log = recordingLogger();
  const result = await train(officialFlags(dir, { niter_decay: 0 }), { log, maxIterations: 1 });
  assert.deepEqual([result.epoch, result.epochIter, result.totalSteps], [1, 1, 1]);
  assert.ok(
    log.lines.some((l) => /at epoch 1, iteration 0 \(no iter\.txt: the start, as official\)/.test(l)),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--continue_train on an official run with other architecture flags names the .pth file, the tensor and the flag its opt.txt has", async () => {
  const dir = await copyOfficialRun();
  await assert.rejects(
    () => train(officialFlags(dir, { ngf: 8 }), { log: recordingLogger() }),
    (e: Error) =>
      e instanceof CheckpointError &&
      /latest_net_G\.pth: does not fit this network: .* has shape .*; .*opt\.txt says --ngf 4 \(given 8\)$/
        .test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`--continue_train on an official run in the decay phase takes the schedule's learning rate and says train.py would not (${backend})`, async () => {
  const dir = await copyOfficialRun();
  await Deno.writeTextFile(join(dir, "official_tiny", "iter.txt"), "3\n0\n");
  const log = recordingLogger();
  const result = await train(officialFlags(dir, { niter_decay: 3 }), { log, maxIterations: 0 });
  assert.deepEqual([result.status, result.epoch, result.totalSteps], ["paused", 3, 4]);
  const said = log.lines.find((l) => l.startsWith("resuming the official run"))!;
  // epochs 2 … 4 decay: epoch 3 trains at 0.0002 − 0.0002/3
  assert.match(
    said,
    /learning rate 0\.000133\d* from the schedule; the official train\.py would restart at --lr 0\.0002/,
  );
  await Deno.remove(dir, { recursive: true });
});
