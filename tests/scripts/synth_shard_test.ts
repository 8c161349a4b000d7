import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../backends/tf.ts";
import { saveClusters } from "../../plugins/features/clusters.ts";
import type { ShardManifest } from "../../kernel/shard_job.ts";
import { saveTinyModel } from "../plugins/features/_tiny_model.ts";
import { filesUnder, TINY_NAMES, writeTinyDataset } from "../plugins/features/_tiny_dataset.ts";

await tf.setBackend("cpu");

const script = new URL("../../scripts/synth.ts", import.meta.url).pathname;

/** The test's own environment without any batch-engine index it may run under. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env = Deno.env.toObject();
  for (const key of Object.keys(env)) {
    if (key === "JOB_COMPLETION_INDEX" || key.startsWith("SLURM_ARRAY_")) delete env[key];
  }
  return { ...env, ...extra };
}

async function synth(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--backend", "cpu", ...args],
    clearEnv: true,
    env: cleanEnv(env),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return { stdout: new TextDecoder().decode(out.stdout), stderr };
}

/** A tiny instance_feat model with a clusters file beside it, and the six-scene dataset. */
async function setup() {
  const root = await Deno.makeTempDir();
  await saveTinyModel(join(root, "tiny"));
  const centres = new Map([7, 11, 24, 26].map((c) => [c, [[0.1 * c, -0.2, 0.3], [-0.5, 0.02 * c, 0.7]]]));
  await saveClusters(join(root, "tiny", "clusters_010.json"), {
    feat_num: 3,
    label_nc: 35,
    n_clusters: 2,
    centres,
  });
  const data = await writeTinyDataset(join(root, "data"));
  const run = (results: string) => [
    "--name",
    "tiny",
    "--checkpoints_dir",
    root,
    "--dataroot",
    data,
    "--phase",
    "train",
    "--loadSize",
    "64",
    "--results_dir",
    join(root, results),
  ];
  return { root, run, out: (results: string) => join(root, results, "tiny", "train_latest") };
}

const fixture = setup();
globalThis.addEventListener(
  "unload",
  () => fixture.then(({ root }) => Deno.removeSync(root, { recursive: true })),
);

let unsharded: Promise<unknown> | undefined;
/** The one-process run every test compares with (made once, by the first test that needs it). */
function runUnsharded(): Promise<unknown> {
  return unsharded ??= fixture.then(({ run }) => synth(run("one")));
}

async function manifest(dir: string, i: number, n = 3): Promise<ShardManifest> {
  return JSON.parse(await Deno.readTextFile(join(dir, "shards", `shard-${i}-of-${n}.json`)));
}

Deno.test("3 shards in 3 processes (--shard, JOB_COMPLETION_INDEX, a Slurm array) write the files of one run, byte for byte", async () => {
  const { run, out } = await fixture;
  await Promise.all([
    runUnsharded(),
    synth([...run("three"), "--shard", "1/3"]),
    synth([...run("three"), "--shards", "3"], { JOB_COMPLETION_INDEX: "1" }),
    synth(run("three"), { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" }),
  ]);
  const one = await filesUnder(out("one")), three = await filesUnder(out("three"));
  assert.deepEqual([...three.keys()], [...one.keys()]);
  assert.deepEqual([...one.keys()], [
    "images/scene_a_input_label.png",
    "images/scene_a_synthesized_image.png",
    "images/scene_b_input_label.png",
    "images/scene_b_synthesized_image.png",
    "images/scene_c_input_label.png",
    "images/scene_c_synthesized_image.png",
    "images/scene_d_input_label.png",
    "images/scene_d_synthesized_image.png",
    "images/scene_e_input_label.png",
    "images/scene_e_synthesized_image.png",
    "images/scene_f_input_label.png",
    "images/scene_f_synthesized_image.png",
    "index.html",
  ]);
  for (const [path, bytes] of one) assert.deepEqual(three.get(path), bytes, `${path} differs`);
  const manifests = await Promise.all([1, 2, 3].map((i) => manifest(out("three"), i)));
  assert.deepEqual(manifests.map((m) => m.shard.from), [
    "--shard",
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
  ]);
  assert.deepEqual(manifests.flatMap((m) => m.inputs), TINY_NAMES);
  assert.deepEqual(manifests.map((m) => m.outputs.length), [4, 4, 4]);
  assert.ok(manifests.every((m) => m.skipped.length === 0 && Object.keys(m.timings.per_input).length === 2));
  await assert.rejects(Deno.stat(join(out("one"), "shards")), Deno.errors.NotFound); // no manifest unsharded
});

Deno.test("a shard rerun after its last write was cut off (files gone, a temp file left) writes only the missing files", async () => {
  const { run, out } = await fixture;
  const dir = out("three"), images = join(dir, "images");
  // shard 2/3 owns scene_c and scene_d: it finished scene_c and was killed while writing scene_d
  await Deno.remove(join(images, "scene_d_synthesized_image.png"));
  await Deno.remove(join(images, "scene_d_input_label.png"));
  const partial = join(images, ".scene_d_synthesized_image.png.0badc0de.tmp");
  await Deno.writeFile(partial, new Uint8Array([0x89, 0x50, 0x4e]));
  const before = new Map<string, number>();
  for (const e of Deno.readDirSync(images)) {
    before.set(e.name, Deno.statSync(join(images, e.name)).mtime!.getTime());
  }
  const { stdout } = await synth([...run("three"), "--shard", "2/3"]);
  assert.match(stdout, /shard 2\/3 \(from --shard\): 2 of 6 input\(s\); 1 already complete; manifest: /);
  const m = await manifest(dir, 2);
  assert.deepEqual(m.skipped, ["scene_c"]);
  assert.deepEqual(m.outputs, [
    join(images, "scene_d_synthesized_image.png"),
    join(images, "scene_d_input_label.png"),
  ]);
  await assert.rejects(Deno.stat(partial), Deno.errors.NotFound);
  for (const [name, mtime] of before) {
    if (name.startsWith(".")) continue;
    assert.equal(Deno.statSync(join(images, name)).mtime!.getTime(), mtime, `${name} was rewritten`);
  }
  const one = await filesUnder(out("one")), three = await filesUnder(dir);
  for (const [path, bytes] of one) {
    assert.deepEqual(three.get(path), bytes, `${path} differs after the rerun`);
  }
});

Deno.test("a shard process killed mid-way (SIGKILL) and rerun skips what it finished and writes the rest", async () => {
  const { run, out } = await fixture;
  await runUnsharded();
  const dir = out("killed"), images = join(dir, "images");
  const files = (name: string) => [`${name}_synthesized_image.png`, `${name}_input_label.png`];
  const complete = () => TINY_NAMES.filter((n) => files(n).every((f) => exists(join(images, f))));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--backend", "cpu", ...run("killed"), "--shard", "1/1"],
    clearEnv: true,
    env: cleanEnv({}),
    stdout: "null",
    stderr: "null",
  }).spawn();
  while (complete().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  child.kill("SIGKILL");
  await child.status;
  const done = complete();
  assert.ok(done.length < TINY_NAMES.length, "the shard finished before it was killed");
  const mtimes = new Map(
    done.flatMap(files).map((f) => [f, Deno.statSync(join(images, f)).mtime!.getTime()]),
  );
  await synth([...run("killed"), "--shard", "1/1"]);
  const m = await manifest(dir, 1, 1);
  assert.deepEqual(m.skipped, done);
  const redone = TINY_NAMES.filter((n) => !done.includes(n));
  assert.deepEqual(m.outputs, redone.flatMap((n) => files(n).map((f) => join(images, f))));
  for (const [f, mtime] of mtimes) assert.equal(Deno.statSync(join(images, f)).mtime!.getTime(), mtime, f);
  assert.deepEqual([...Deno.readDirSync(images)].filter((e) => e.name.endsWith(".tmp")), []);
  const one = await filesUnder(out("one")), killed = await filesUnder(dir);
  assert.deepEqual(killed, one);
});

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
