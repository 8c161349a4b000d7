/**
 * ADE20K and Helen, in their release layouts, through every recipe that reads a dataset — train
 * (fresh and resumed mid-epoch), inspect, encode_features, synth --dataroot — and an unknown
 * --dataset refused by each recipe with one line, exit 2.
 */
import assert from "node:assert/strict";
import { type Finished, runRecipe } from "../_run_deno.ts";
import { join } from "node:path";
import { createLogger } from "../../kernel/log.ts";
import { loadCheckpoint } from "../../plugins/train/checkpoint.ts";
import { train } from "../../plugins/train/trainer.ts";
import { writeTinyAde20k, writeTinyHelen } from "../plugins/data/_layouts.ts";
import { trainingBackend } from "../plugins/train/_fixtures.ts";

const backend = await trainingBackend();
const quiet = createLogger("silent");
const LAYOUTS = { ade20k: await writeTinyAde20k(2), helen: await writeTinyHelen(2) };
const TINY = {
  ngf: 4,
  n_downsample_global: 2,
  n_blocks_global: 1,
  ndf: 4,
  n_layers_D: 2,
  no_vgg_loss: true,
  loadSize: 64,
  niter: 1,
  niter_decay: 0,
  nThreads: 0,
  print_freq: 1,
  seed: 5,
};

function script(name: string, args: string[]): Promise<Finished> {
  return runRecipe(name, args, backend);
}

function flags(options: Record<string, unknown>): string[] {
  return Object.entries(options).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));
}

for (const [dataset, root] of Object.entries(LAYOUTS)) {
  Deno.test(`${dataset}: inspect detects it and finds no problem; train, encode_features and synth run from the CLI (${backend})`, async () => {
    const inspected = await script("inspect", ["--dataroot", root, "--json"]);
    assert.equal(inspected.code, 0, inspected.stderr);
    const report = JSON.parse(inspected.stdout);
    assert.deepEqual([report.dataset, report.samples, report.problems], [dataset, 2, []]);

    const checkpoints = await Deno.makeTempDir();
    const trained = await script("train", [
      ...flags({ ...TINY, dataroot: root, checkpoints_dir: checkpoints, name: "run", label_feat: true }),
      ...flags({ nef: 4, n_downsample_E: 2 }),
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const { config } = await loadCheckpoint(join(checkpoints, "run"), "latest");
    const classes = dataset === "ade20k" ? 151 : 11;
    assert.deepEqual([config.dataset, config.label_nc, config.no_instance], [dataset, classes, true]);

    const encoded = await script("encode_features", [
      ...flags({ name: "run", checkpoints_dir: checkpoints, n_clusters: 2, json: true }),
    ]);
    assert.equal(encoded.code, 0, encoded.stderr);
    const clusters = JSON.parse(await Deno.readTextFile(join(checkpoints, "run", "clusters_002.json")));
    assert.ok(JSON.stringify(clusters).length > 10);

    const results = await Deno.makeTempDir();
    const synth = await script("synth", [
      ...flags({
        name: "run",
        checkpoints_dir: checkpoints,
        dataroot: root,
        results_dir: results,
        json: true,
      }),
    ]);
    assert.equal(synth.code, 0, synth.stderr);
    const images = JSON.parse(synth.stdout).images;
    assert.ok(images.length >= 1 && images.every((i: { width: number }) => i.width === 64));
    await Promise.all([checkpoints, results].map((d) => Deno.remove(d, { recursive: true })));
  });

  Deno.test(`${dataset}: train() resumed mid-epoch ends with the weights of one run (${backend})`, async () => {
    const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
    const options = (dir: string, extra: Record<string, unknown> = {}) => ({
      ...TINY,
      dataset,
      dataroot: root,
      checkpoints_dir: dir,
      name: "run",
      ...extra,
    });
    const whole = await train(options(a), { log: quiet });
    assert.deepEqual([whole.status, whole.totalSteps], ["finished", 2]);
    const first = await train(options(b), { log: quiet, maxIterations: 1 });
    assert.deepEqual([first.status, first.epochIter], ["paused", 1]);
    const rest = await train(options(b, { continue_train: true }), { log: quiet });
    assert.deepEqual([rest.status, rest.totalSteps, rest.options.dataset], ["finished", 2, dataset]);
    const [x, y] = await Promise.all([a, b].map((d) => loadCheckpoint(join(d, "run"), "latest")));
    for (const [name, t] of x.networks.get("G")!) {
      assert.deepEqual(y.networks.get("G")!.get(name)!.data, t.data, name);
    }
    await Promise.all([a, b].map((d) => Deno.remove(d, { recursive: true })));
  });
}

Deno.test("every recipe that reads a dataset refuses an unknown --dataset in one line naming the registered ones, exit 2", async () => {
  const recipes: [string, string[]][] = [
    ["train", ["--dataroot", LAYOUTS.ade20k, "--no_vgg_loss"]],
    ["inspect", ["--dataroot", LAYOUTS.ade20k]],
    ["encode_features", ["--name", "none"]],
    ["precompute_feature_maps", ["--name", "none"]],
    ["synth", [
      "--weights",
      "weights/label2city_256p/latest_net_G.safetensors",
      "--dataroot",
      LAYOUTS.ade20k,
    ]],
    ["demo", ["--dataroot", LAYOUTS.ade20k]],
  ];
  for (const [name, args] of recipes) {
    const out = await script(name, [...args, "--dataset", "ade21k"]);
    assert.equal(out.code, 2, `${name}: ${out.stderr}`);
    const lines = out.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
    assert.equal(lines.length, 1, `${name}: ${out.stderr}`);
    assert.match(
      lines[0],
      /^error: unknown dataset "ade21k" \(did you mean "ade20k"\?\); registered datasets: ade20k, aligned, cityscapes, helen/,
      name,
    );
  }
});

Deno.test("the demo refuses a dataset without instance maps in one line, before opening the model", async () => {
  const out = await script("demo", ["--dataroot", LAYOUTS.ade20k, "--weights", "no/such/folder"]);
  assert.equal(out.code, 1, out.stderr);
  assert.match(
    out.stderr,
    /^error: .*"dataset" needs instance maps \(the shipped model reads boundary maps\); dataset "ade20k" has none/m,
  );
});
