import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { createLogger, type Logger } from "../../../kernel/log.ts";
import { loadCheckpoint } from "../../../plugins/train/checkpoint.ts";
import { type LossRecord, readLossLog } from "../../../plugins/train/loss_log.ts";
import { train } from "../../../plugins/train/trainer.ts";
import { tinyOptions, trainingBackend, writeTinyDataset } from "./_fixtures.ts";

const backend = await trainingBackend();
const quiet: Logger = createLogger("silent");
const root = await writeTinyDataset(2);

function sameTensors(a: Map<string, { data: ArrayLike<number | bigint> }>, b: typeof a, what: string): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), what);
  for (const [name, x] of a) assert.deepEqual(x.data, b.get(name)!.data, `${what}: ${name}`);
}

Deno.test(`train() resumed twice ends with the same weights, Adam state and losses as one run (${backend})`, async () => {
  const extra = { niter: 2, pool_size: 1 };
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  const whole = await train(tinyOptions(root, a, extra), { log: quiet });
  assert.equal(whole.status, "finished");
  assert.equal(whole.totalSteps, 4);
  const first = await train(tinyOptions(root, b, extra), { log: quiet, maxIterations: 1 });
  assert.deepEqual([first.status, first.epoch, first.epochIter], ["paused", 1, 1]);
  const second = await train(tinyOptions(root, b, { ...extra, continue_train: true }), {
    log: quiet,
    maxIterations: 2,
  });
  assert.deepEqual([second.status, second.epoch, second.epochIter, second.totalSteps], ["paused", 2, 1, 3]);
  const third = await train(tinyOptions(root, b, { ...extra, continue_train: true }), { log: quiet });
  assert.deepEqual([third.status, third.totalSteps], ["finished", 4]);
  const [x, y] = await Promise.all([
    loadCheckpoint(join(a, "tiny"), "latest"),
    loadCheckpoint(join(b, "tiny"), "latest"),
  ]);
  sameTensors(x.networks.get("G")!, y.networks.get("G")!, "G");
  sameTensors(x.networks.get("D")!, y.networks.get("D")!, "D");
  sameTensors(x.state, y.state, "Adam moments and pool");
  assert.deepEqual(x.trainer.rng, y.trainer.rng);
  const strip = (r: LossRecord) => ({ ...r, time: 0 });
  const [la, lb] = await Promise.all([
    readLossLog(join(a, "tiny", "loss_log.jsonl")),
    readLossLog(join(b, "tiny", "loss_log.jsonl")),
  ]);
  assert.deepEqual(lb.map(strip), la.map(strip));
  assert.equal(la.length, 4);
  assert.ok(
    la.every((r) => r.lr === 0.0002 && [r.G_GAN, r.G_GAN_Feat, r.D_real, r.D_fake].every(Number.isFinite)),
  );
  await Promise.all([a, b].map((d) => Deno.remove(d, { recursive: true })));
});

Deno.test(`train() follows the lr schedule, writes latest and epoch checkpoints, the loss log and the web page (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  const before = tf.memory().numTensors;
  await train(
    tinyOptions(root, dir, {
      niter: 1,
      niter_decay: 2,
      save_epoch_freq: 2,
      display_freq: 2,
      max_dataset_size: 1,
    }),
    {
      log: quiet,
    },
  );
  assert.equal(tf.memory().numTensors, before, "train() leaves no tensor behind");
  const files = [...Deno.readDirSync(join(dir, "tiny"))].map((e) => e.name).sort();
  const expected = [
    "2_net_D.safetensors",
    "2_net_G.safetensors",
    "2_train_state.safetensors",
    "latest_net_D.safetensors",
  ];
  for (
    const f of [
      ...expected,
      "latest_net_G.safetensors",
      "latest_train_state.safetensors",
      "loss_log.jsonl",
      "web",
    ]
  ) {
    assert.ok(files.includes(f), `${f} in ${files}`);
  }
  assert.ok(!files.includes("1_net_G.safetensors") && !files.includes("3_net_G.safetensors"));
  const log = await readLossLog(join(dir, "tiny", "loss_log.jsonl"));
  // niter 1, niter_decay 2: epochs 1 and 2 at lr, epoch 3 at lr - lr/2 (official update_learning_rate).
  assert.deepEqual(log.map((r) => r.lr), [0.0002, 0.0002, 0.0001]);
  const html = await Deno.readTextFile(join(dir, "tiny", "web", "index.html"));
  assert.match(html, /epoch002_iter0000002_synthesized_image\.png/);
  assert.match(html, /epoch002_iter0000002_input_label\.png/);
  assert.match(html, /<svg/);
  await Deno.remove(dir, { recursive: true });
});
