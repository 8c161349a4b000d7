import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { type CliIO, runCli } from "../../../kernel/cli.ts";
import { precomputeFeatureMapsCommand } from "../../../scripts/precompute_feature_maps.ts";
import { trainingBackend, writeTinyDataset } from "../train/_fixtures.ts";

const backend = await trainingBackend();
/** Written by the official train.py and precompute_feature_maps.py: fixtures/official_run/make_official_run.py. */
const FIXTURES = new URL("../../fixtures/official_run/", import.meta.url).pathname;

Deno.test(`precompute_feature_maps on an official run writes the official precompute_feature_maps.py's pictures exactly (${backend})`, async () => {
  const root = await writeTinyDataset(2);
  const checkpoints = await Deno.makeTempDir();
  await Deno.mkdir(join(checkpoints, "official_tiny"));
  for await (const e of Deno.readDir(join(FIXTURES, "official_tiny"))) {
    await Deno.copyFile(join(FIXTURES, "official_tiny", e.name), join(checkpoints, "official_tiny", e.name));
  }
  const out: string[] = [];
  const io: CliIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void out.push(t),
    color: { stdout: false, stderr: false },
    env: (name) => (name === "P2PHD_BACKEND" ? backend : undefined),
  };
  // the official defaults: scale_width to loadSize 1024, the encoder's features ×2 nearest
  const args = ["--name", "official_tiny", "--checkpoints_dir", checkpoints, "--dataroot", root];
  assert.equal(await runCli(precomputeFeatureMapsCommand, args, io), 0, out.join(""));
  for (const name of ["s0.png", "s1.png"]) {
    const ours = decode(await Deno.readFile(join(root, "train_feat", name)));
    const official = decode(await Deno.readFile(join(FIXTURES, "official_tiny_train_feat", name)));
    assert.deepEqual([ours.width, ours.height, ours.channels], [
      official.width,
      official.height,
      official.channels,
    ]);
    assert.deepEqual([ours.width, ours.height], [2048, 1024]);
    let differ = 0;
    for (let i = 0; i < ours.data.length; i++) if (ours.data[i] !== official.data[i]) differ++;
    assert.equal(differ, 0, `${name}: ${differ} values differ from the official picture`);
  }
  await Deno.remove(checkpoints, { recursive: true });
});
