import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveOptions } from "../../../kernel/options.ts";
import { createLogger, type Logger } from "../../../kernel/log.ts";
import { loadCheckpoint } from "../../../plugins/train/checkpoint.ts";
import { recipeSchema, recipeStages, runStages } from "../../../scripts/train_1024p.ts";
import { tinyOptions, trainingBackend, writeTinyDataset } from "./_fixtures.ts";
import { loadOneDnn } from "../../../backends/onednn/mod.ts";

const backend = await trainingBackend();
const quiet: Logger = createLogger("silent");
const root = await writeTinyDataset(1);

function cli(args: string[], backendName = backend): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "scripts/train.ts", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", P2PHD_BACKEND: backendName },
  }).spawn();
}

function flags(options: Record<string, unknown>): string[] {
  return Object.entries(options).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));
}

Deno.test("scripts/train.ts --help lists the official options with their defaults", async () => {
  const out = await cli(["--help"]).output();
  const help = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0);
  for (
    const text of [
      "--niter_fix_global",
      "--no_ganFeat_loss",
      "--vgg_weights",
      "--continue_train",
      "--backend",
    ]
  ) {
    assert.ok(help.includes(text), text);
  }
  assert.match(
    help,
    /--save_latest_freq <int>\s+iterations between saves of the latest model \(≥ 1; default: 1000\)/,
  );
  assert.match(help, /--lr <number>\s+initial learning rate of Adam \(≥ 0; default: 0\.0002\)/);
});

Deno.test("scripts/train.ts without --vgg_weights stops with where to get them", async () => {
  const out = await cli(["--dataroot", root]).output();
  assert.equal(out.code, 1);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /error: .*"vgg_weights" is needed for the VGG loss: download .*vgg19-dcbb9e9d\.pth.* or pass --no_vgg_loss/,
  );
});

Deno.test("scripts/train.ts --netG names a registered generator; another value exits 2 listing them", async () => {
  const out = await cli(["--dataroot", root, "--no_vgg_loss", "--netG", "loacl"]).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /error: unknown --netG "loacl" \(did you mean "local"\?\); registered generators: global, local \(a --plugin module can register one providing "netG:<name>"\); see train --help/,
  );
});

Deno.test(`scripts/train.ts trains the generator a --plugin module provides as netG:<name> (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  const mod = new URL("../../../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    join(dir, "shallow.ts"),
    `import { definePlugin, defineSchema, GlobalGenerator } from "${mod}";
export default definePlugin({
  name: "shallow-generator", role: "generator", description: "a global generator with one block",
  provides: ["generator", "netG:shallow"],
  schema: defineSchema({
    input_nc: { type: "int", default: 3, min: 1, doc: "input channels" },
    ngf: { type: "int", default: 8, min: 1, doc: "filters" },
    seed: { type: "int", default: 0, min: 0, doc: "seed" },
  }),
  create: (o) => new GlobalGenerator({ ...o, n_downsample_global: 1, n_blocks_global: 1 }),
});`,
  );
  const out = await cli(
    [...flags(tinyOptions(root, dir)), "--plugin", join(dir, "shallow.ts"), "--netG", "shallow"],
  ).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const saved = await loadCheckpoint(join(dir, "tiny"), "latest");
  const names = [...saved.networks.get("G")!.keys()];
  assert.ok(names.includes("model.12.weight") && !names.includes("model.18.weight"), names.join());
});

Deno.test(`scripts/train.ts saves the latest checkpoint on Ctrl-C and exits 130 (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  const child = cli(flags(tinyOptions(root, dir, { niter: 1000 })));
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/train \d+\/\d+/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  const { code } = await child.status;
  await child.stdout.cancel();
  assert.equal(code, 130, seen);
  assert.match(seen, /interrupted at epoch \d+, iteration (\d+): saved checkpoint "latest"/);
  const saved = await loadCheckpoint(join(dir, "tiny"), "latest");
  assert.ok(Number(saved.trainer.total_steps) >= 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test(`train_1024p runs 512p then the local enhancer from it, the global part fixed first (${backend})`, async () => {
  const dir = await Deno.makeTempDir();
  const options = resolveOptions("train_1024p", recipeSchema, {
    ...tinyOptions(root, dir, { ngf: 8 }),
    name: "city",
    ngf_1024p: 4,
    num_D_1024p: 2,
    niter_1024p: 1,
    niter_decay_1024p: 1,
    niter_fix_global_1024p: 1,
    save_epoch_freq: 1,
  });
  const stages = recipeStages(options);
  assert.deepEqual(stages.map((s) => [s.label, s.given.name, s.given.netG]), [[
    "512p",
    "city_512p",
    undefined,
  ], ["1024p", "city_1024p", "local"]]);
  assert.equal(await runStages(stages, quiet), "finished");
  const coarse = (await loadCheckpoint(join(dir, "city_512p"), "latest")).networks.get("G")!;
  const fine = (await loadCheckpoint(join(dir, "city_1024p"), "1")).networks.get("G")!;
  const shared = [...fine.keys()].filter((n) => n.startsWith("model."));
  assert.ok(shared.length > 0 && shared.every((n) => coarse.has(n)));
  for (const n of shared) {
    assert.deepEqual(fine.get(n)!.data, coarse.get(n)!.data, `${n} after the fixed epoch`);
  }
  assert.equal(await runStages(recipeStages({ ...options, continue_train: true }), quiet), "finished");
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "scripts/train.ts on oneDNN says so in its log and its checkpoint (its kernels serve the wasm backend)",
  ignore: !loadOneDnn().ok,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const out = await cli(flags(tinyOptions(root, dir)), "onednn").output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.match(stderr, /training "tiny" on onednn;/);
    const saved = await loadCheckpoint(join(dir, "tiny"), "latest");
    assert.equal(saved.trainer.backend, "onednn");
    await Deno.remove(dir, { recursive: true });
  },
});
