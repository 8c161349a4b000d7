/**
 * Every line of the official scripts/*.sh, with `python X.py` replaced by `deno task X` (`test.py` is
 * `synth`), parses and runs: the test and feature lines on tiny checkpoints named as the scripts name
 * them, the training lines up to the data (a missing dataroot), and the fp16 and multi-GPU lines are
 * refused with the reason, exit 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { saveSafetensors } from "../../formats/safetensors.ts";
import { tf } from "../../backends/tf.ts";
import { Encoder } from "../../plugins/networks/encoder.ts";
import { GlobalGenerator } from "../../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../../plugins/networks/local_enhancer.ts";
import { writeTinyDataset } from "../plugins/train/_fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The official lines (scripts/*.sh at 14b3b3c), `python X.py` → the task name. */
const TEST_LINES = [
  "synth --name label2city_1024p --netG local --ngf 32 --resize_or_crop none",
  "encode_features --name label2city_1024p_feat --netG local --ngf 32 --resize_or_crop none",
  "synth --name label2city_1024p_feat ---netG local --ngf 32 --resize_or_crop none --instance_feat",
  "synth --name label2city_512p",
  "encode_features --name label2city_512p_feat",
  "synth --name label2city_512p_feat --instance_feat",
  "precompute_feature_maps --name label2city_512p_feat",
];
const TRAIN_LINES = [
  "train --name label2city_1024p --netG local --ngf 32 --num_D 3 --load_pretrain checkpoints/label2city_512p/ --niter_fix_global 20 --resize_or_crop crop --fineSize 1024",
  "train --name label2city_1024p --netG local --ngf 32 --num_D 3 --load_pretrain checkpoints/label2city_512p/ --niter 50 --niter_decay 50 --niter_fix_global 10 --resize_or_crop none",
  "train --name label2city_1024p_feat --netG local --ngf 32 --num_D 3 --load_pretrain checkpoints/label2city_512p_feat/ --niter_fix_global 20 --resize_or_crop crop --fineSize 896 --instance_feat --load_features",
  "train --name label2city_1024p_feat --netG local --ngf 32 --num_D 3 --load_pretrain checkpoints/label2city_512p_feat/ --niter 50 --niter_decay 50 --niter_fix_global 10 --resize_or_crop none --instance_feat --load_features",
  "train --name label2city_512p",
  "train --name label2city_512p_feat --instance_feat",
];
const REFUSED_LINES: [string, RegExp][] = [
  ["train --name label2city_512p --fp16", /"fp16" is not supported: TensorFlow.js computes in float32/],
  [
    "train --name label2city_512p --batchSize 8 --gpu_ids 0,1,2,3,4,5,6,7 --fp16",
    /"fp16" is not supported/,
  ],
  ["train --name label2city_512p --batchSize 8 --gpu_ids 0,1,2,3,4,5,6,7", /multi-GPU is not supported/],
];

async function task(line: string, extra: string[], cwd: string) {
  const [name, ...args] = line.split(" ");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", `${name}.ts`), ...args, ...extra, "--backend", "cpu"],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Tiny checkpoints under the scripts' names (architecture flags as the lines give them). */
async function tinyCheckpoints(dir: string) {
  const save = async (
    name: string,
    nets: Record<string, { stateDict(): unknown; dispose(): void }>,
    config = {},
  ) => {
    await Deno.mkdir(join(dir, name), { recursive: true });
    for (const [net, module] of Object.entries(nets)) {
      await saveSafetensors(
        join(dir, name, `latest_net_${net}.safetensors`),
        module.stateDict() as never,
        { config: JSON.stringify({ label_nc: 35, no_instance: false, loadSize: 64, ...config }) },
      );
      module.dispose();
    }
  };
  const local = (input_nc: number) =>
    new LocalEnhancer({
      input_nc,
      ngf: 32,
      n_downsample_global: 1,
      n_blocks_global: 1,
      n_blocks_local: 1,
      seed: 1,
    });
  const global = (input_nc: number) =>
    new GlobalGenerator({ input_nc, ngf: 4, n_downsample_global: 2, n_blocks_global: 1, seed: 2 });
  const encoder = () => new Encoder({ nef: 4, n_downsample_E: 2, seed: 3 });
  const feat = { instance_feat: true, feat_num: 3 };
  await save("label2city_1024p", { G: local(36) });
  await save("label2city_1024p_feat", { G: local(39), E: encoder() }, feat);
  await save("label2city_512p", { G: global(36) });
  await save("label2city_512p_feat", { G: global(39), E: encoder() }, feat);
}

await tf.setBackend("cpu");
const work = await Deno.makeTempDir();
const data = await writeTinyDataset(2);
for (const [from, to] of [["train_label", "test_label"], ["train_inst", "test_inst"]]) {
  await Deno.mkdir(join(data, to));
  for (const e of Deno.readDirSync(join(data, from))) {
    await Deno.copyFile(join(data, from, e.name), join(data, to, e.name));
  }
}
await tinyCheckpoints(join(work, "checkpoints"));
globalThis.addEventListener("unload", () => Deno.removeSync(work, { recursive: true }));

Deno.test("the official test and feature script lines run as written (plus --dataroot) on tiny checkpoints", async () => {
  for (const line of TEST_LINES) {
    const r = await task(line, ["--dataroot", data], work);
    assert.equal(r.code, 0, `${line}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /unknown option|internal error|XDG_RUNTIME_DIR/, line);
  }
  for (
    const name of ["label2city_1024p", "label2city_1024p_feat", "label2city_512p", "label2city_512p_feat"]
  ) {
    const images = [...Deno.readDirSync(join(work, "results", name, "test_latest", "images"))].map((e) =>
      e.name
    );
    assert.ok(images.includes("s0_synthesized_image.png"), `${name}: ${images}`);
  }
  assert.ok(Deno.statSync(join(work, "checkpoints", "label2city_1024p_feat", "clusters_010.json")).isFile);
  assert.equal([...Deno.readDirSync(join(data, "train_feat"))].length, 2);
});

Deno.test("the official training lines parse: they stop at the missing dataset, never at an option", async () => {
  for (const line of TRAIN_LINES) {
    const r = await task(line, ["--dataroot", join(work, "no_such_dataset")], work);
    assert.equal(r.code, 1, `${line}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /unknown option|internal error/, line);
  }
});

Deno.test("the official fp16 and multi-GPU lines are refused with the reason, exit 2", async () => {
  for (const [line, pattern] of REFUSED_LINES) {
    const r = await task(line, [], work);
    assert.equal(r.code, 2, `${line}\n${r.stderr}`);
    assert.match(r.stderr, pattern, line);
  }
});
