import assert from "node:assert/strict";
import { type Finished, runRecipe } from "../../_run_deno.ts";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { createLogger } from "../../../kernel/log.ts";
import { resolveOptions } from "../../../kernel/options.ts";
import { disposeAll } from "../../../kernel/memory.ts";
import pairedFolder, { indexPairedFolder } from "../../../plugins/examples/paired_folder.ts";
import { readLossLog } from "../../../plugins/train/loss_log.ts";
import { writeTinyPairedFolder } from "../data/_layouts.ts";
import { trainingBackend } from "../train/_fixtures.ts";

const backend = await trainingBackend();

function script(name: string, args: string[]): Promise<Finished> {
  return runRecipe(name, args, backend);
}

Deno.test("the paired folder pairs <name>_label.png with <name>.jpg and names a label map without its photo", async () => {
  const root = await writeTinyPairedFolder(2);
  const index = indexPairedFolder({ dataroot: root });
  assert.deepEqual(index.entries.map((e) => [e.name, e.image]), [
    ["scene_0", join(root, "scene_0.jpg")],
    ["scene_1", join(root, "scene_1.jpg")],
  ]);
  assert.deepEqual(index.problems, []);
  assert.ok(pairedFolder.dataset.detect(root, "train"));
  await Deno.remove(join(root, "scene_1.jpg"));
  assert.deepEqual(indexPairedFolder({ dataroot: root }).problems, [
    { file: join(root, "scene_1_label.png"), message: "has no photo scene_1.jpg beside it" },
  ]);
  const empty = await Deno.makeTempDir();
  assert.ok(!pairedFolder.dataset.detect(empty, "train"));
  assert.match(
    indexPairedFolder({ dataroot: empty }).problems[0].message,
    /has no <name>_label\.png label maps/,
  );
  await Deno.remove(empty);
});

Deno.test("the paired folder's source reads the Cityscapes colours back as class ids beside the photo", async () => {
  const root = await writeTinyPairedFolder(1);
  const ctx = { backend: tf.getBackend(), log: createLogger("silent") };
  const opts = resolveOptions("paired-folder", pairedFolder.schema, {
    dataroot: root,
    loadSize: 64,
    prefetch: 0,
    no_flip: true,
  });
  const before = tf.memory().numTensors;
  for await (const sample of pairedFolder.create(opts, ctx).samples(ctx)) {
    const label = sample.label as tf.Tensor;
    assert.deepEqual([...new Set(await label.data())].sort((a, b) => a - b), [7, 23, 26]);
    assert.deepEqual((sample.image as tf.Tensor).shape, [1, 32, 64, 3]);
    assert.equal(sample.inst, undefined);
    disposeAll(sample);
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test(`deno task train --plugin plugins/examples/paired_folder.ts --dataset paired-folder trains; inspect and synth read it with --plugin (${backend})`, async () => {
  const root = await writeTinyPairedFolder(2);
  const checkpoints = await Deno.makeTempDir();
  const out = await script("train", [
    ...["--plugin", "plugins/examples/paired_folder.ts", "--dataset", "paired-folder", "--dataroot", root],
    ...["--label_nc", "35", "--no_instance", "--name", "paired", "--checkpoints_dir", checkpoints],
    ..."--ngf 8 --n_downsample_global 2 --n_blocks_global 1 --ndf 8 --no_vgg_loss".split(" "),
    ..."--loadSize 64 --niter 1 --niter_decay 0 --print_freq 1 --nThreads 0".split(" "),
  ]);
  const stderr = out.stderr;
  assert.equal(out.code, 0, stderr);
  assert.match(stderr, /"dataset":"paired-folder","plugin":\["plugins\/examples\/paired_folder\.ts"\]/);
  assert.match(stderr, /finished "paired" after 2 samples/);
  const log = await readLossLog(join(checkpoints, "paired", "loss_log.jsonl"));
  assert.equal(log.length, 2);
  assert.ok(log.every((r) => [r.G_GAN, r.G_GAN_Feat, r.D_real, r.D_fake].every(Number.isFinite)));
  await Deno.stat(join(checkpoints, "paired", "latest_net_G.safetensors"));

  const plugin = ["--plugin", "plugins/examples/paired_folder.ts"];
  const inspected = await script("inspect", [...plugin, "--dataroot", root, "--json"]);
  assert.equal(inspected.code, 0, inspected.stderr);
  const report = JSON.parse(inspected.stdout);
  assert.deepEqual([report.dataset, report.samples, report.problems], ["paired-folder", 2, []]);
  assert.deepEqual(Object.keys(report.histogram), ["7", "23", "26"]);
  const results = await Deno.makeTempDir();
  const synth = await script("synth", [
    ...plugin,
    ...["--name", "paired", "--checkpoints_dir", checkpoints, "--dataroot", root, "--results_dir", results],
    "--json",
  ]);
  assert.equal(synth.code, 0, synth.stderr);
  assert.deepEqual(JSON.parse(synth.stdout).images.map((i: { name: string }) => i.name), [
    "scene_0",
    "scene_1",
  ]);
  await Promise.all([checkpoints, results].map((d) => Deno.remove(d, { recursive: true })));
});
