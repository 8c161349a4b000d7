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
import { CheckpointError, OptionsError } from "../../../kernel/errors.ts";

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
