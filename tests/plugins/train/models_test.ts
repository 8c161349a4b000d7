import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { loadPth } from "../../../formats/pth.ts";
import { Rng } from "../../../kernel/random.ts";
import { LocalEnhancer } from "../../../plugins/networks/local_enhancer.ts";
import {
  buildModels,
  disposeModels,
  generatorParams,
  loadPretrained,
} from "../../../plugins/train/models.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { CheckpointError, OptionsError, PipelineError } from "../../../kernel/errors.ts";
import { UsageError } from "../../../kernel/cli.ts";
import { definePlugin } from "../../../kernel/plugin.ts";
import { registry } from "../../../kernel/registry.ts";
import { encoderPlugin } from "../../../plugins/networks/encoder.ts";
import { localEnhancerPlugin } from "../../../plugins/networks/local_enhancer.ts";
import { multiscaleDiscriminatorPlugin } from "../../../plugins/networks/multiscale_discriminator.ts";
import { spyOnCreate } from "./_plugin_spy.ts";

await tf.setBackend("cpu");
const FIXTURES = "tests/fixtures/pytorch-parity";

Deno.test("loadPretrained() puts the official 512p-style global G into the local enhancer's model.* and drops its last 3 modules", async () => {
  const global = await loadPth(`${FIXTURES}/G_global.pth`);
  // G_global: ngf 8, 2 downsamplings, 2 blocks → the global part of a local enhancer with ngf 4.
  const local = new LocalEnhancer({
    input_nc: 6,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 2,
    n_blocks_local: 1,
    seed: 1,
  });
  const before = local.stateDict();
  const r = loadPretrained(local, global, "G_global.pth", "model.");
  assert.deepEqual(r.unused, ["model.19.weight", "model.19.bias"]);
  assert.ok(r.fresh.length > 0 && r.fresh.every((n) => n.startsWith("model1_")));
  const after = local.stateDict();
  for (const name of r.loaded) assert.deepEqual(after.get(name)!.data, global.get(name)!.data, name);
  for (const name of r.fresh) assert.deepEqual(after.get(name)!.data, before.get(name)!.data, name);
  local.dispose();
});

Deno.test("loadPretrained() refuses a tensor whose shape differs, naming it and the likely flag", async () => {
  const global = await loadPth(`${FIXTURES}/G_global.pth`);
  const local = new LocalEnhancer({
    input_nc: 6,
    ngf: 8,
    n_downsample_global: 2,
    n_blocks_global: 2,
    n_blocks_local: 1,
  });
  assert.throws(
    () => loadPretrained(local, global, "G_global.pth", "model."),
    (e: Error) =>
      e instanceof CheckpointError &&
      /G_global\.pth: model\.1\.weight has shape \[8, 6, 7, 7\] there but \[16, 6, 7, 7\] in this network: .*--ngf/
        .test(e.message),
  );
  local.dispose();
});

Deno.test("generatorParams() keeps only the outermost enhancer (and E) while the global part is fixed", async () => {
  const opts = resolveTrainOptions({
    netG: "local",
    ngf: 4,
    n_downsample_global: 1,
    n_blocks_global: 1,
    n_blocks_local: 1,
    niter_fix_global: 1,
    label_nc: 4,
    ndf: 4,
    no_vgg_loss: true,
    instance_feat: true,
    nef: 4,
    n_downsample_E: 1,
  });
  const models = await buildModels(opts, new Rng(0));
  const fixed = [...generatorParams(models, opts, true).keys()];
  assert.ok(fixed.length > 0 && fixed.every((n) => n.startsWith("G.model1_") || n.startsWith("E.")));
  assert.ok(fixed.some((n) => n.startsWith("E.")));
  const all = [...generatorParams(models, opts, false).keys()];
  assert.equal(all.length, models.G.params().size + models.E!.params().size);
  disposeModels(models);
});

Deno.test("buildModels() stops with where to get VGG19 when the VGG loss is on without weights", async () => {
  await assert.rejects(
    () => buildModels(resolveTrainOptions(), new Rng(0)),
    (e: Error) =>
      e instanceof OptionsError &&
      /"vgg_weights" is needed for the VGG loss: download .*vgg19-dcbb9e9d\.pth.*or pass --no_vgg_loss/.test(
        e.message,
      ),
  );
});

Deno.test("buildModels() creates G, D and E with the plugins providing netG:<netG>, netD:multiscale and netE", async () => {
  const spy = spyOnCreate([localEnhancerPlugin, multiscaleDiscriminatorPlugin, encoderPlugin]);
  try {
    const opts = resolveTrainOptions({
      netG: "local",
      ngf: 4,
      n_downsample_global: 1,
      n_blocks_global: 1,
      n_blocks_local: 1,
      label_nc: 4,
      ndf: 4,
      num_D: 1,
      no_vgg_loss: true,
      no_ganFeat_loss: true,
      instance_feat: true,
      nef: 4,
      n_downsample_E: 1,
    });
    const models = await buildModels(opts, new Rng(0));
    disposeModels(models);
    const [g, d, e] = spy.calls;
    assert.deepEqual(spy.calls.map((c) => c.name), ["local-enhancer", "multiscale-discriminator", "encoder"]);
    // each gets the run's options its schema declares, and what the run derives (channels, seeds)
    assert.equal(g.options.input_nc, 4 + 1 + 3);
    assert.equal(g.options.ngf, 4);
    assert.equal(g.options.n_blocks_local, 1);
    assert.deepEqual([d.options.input_nc, d.options.num_D, d.options.getIntermFeat], [4 + 1 + 3, 1, false]);
    assert.deepEqual([e.options.input_nc, e.options.nef], [3, 4]);
    assert.equal(new Set([g.options.seed, d.options.seed, e.options.seed]).size, 3, "a seed each");
  } finally {
    spy.restore();
  }
});

Deno.test("buildModels() refuses a --netG no plugin provides, naming the registered generators", async () => {
  await assert.rejects(
    () => buildModels(resolveTrainOptions({ netG: "loacl", no_vgg_loss: true }), new Rng(0)),
    (e: Error) =>
      e instanceof UsageError &&
      e.message ===
        'unknown --netG "loacl" (did you mean "local"?); registered generators: global, local ' +
          '(a --plugin module can register one providing "netG:<name>")',
  );
});

Deno.test("buildModels() refuses a generator plugin that makes no trainable network", async () => {
  registry.register(definePlugin({
    name: "not-a-network",
    role: "generator",
    description: "makes a number",
    provides: ["netG:number"],
    schema: {},
    create: () => 42,
  }));
  await assert.rejects(
    () => buildModels(resolveTrainOptions({ netG: "number", no_vgg_loss: true }), new Rng(0)),
    (e: Error) =>
      e instanceof PipelineError &&
      /"netG:number" \(not-a-network\) made no trainable generator: it lacks apply, params, stateDict/.test(
        e.message,
      ),
  );
});
