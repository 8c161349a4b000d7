import assert from "node:assert/strict";
import {
  discriminatorInputChannels,
  generatorInputChannels,
  resolveTrainOptions,
  trainSchema,
} from "../../../plugins/train/options.ts";
import { OptionsError } from "../../../kernel/errors.ts";

Deno.test("resolveTrainOptions() gives the official defaults", () => {
  const o = resolveTrainOptions();
  assert.deepEqual(
    [o.checkpoints_dir, o.save_latest_freq, o.save_epoch_freq, o.print_freq, o.display_freq, o.pool_size],
    ["./checkpoints", 1000, 10, 100, 100, 0],
  );
  assert.deepEqual([o.lr, o.beta1, o.niter, o.niter_decay, o.loadSize, o.fineSize], [
    0.0002,
    0.5,
    100,
    100,
    1024,
    512,
  ]);
  assert.deepEqual([o.label_nc, o.ngf, o.ndf, o.num_D, o.n_layers_D, o.lambda_feat], [35, 64, 64, 2, 3, 10]);
  assert.deepEqual([o.feat_num, o.nef, o.n_downsample_E, o.n_blocks_local, o.n_local_enhancers], [
    3,
    16,
    4,
    3,
    1,
  ]);
  assert.deepEqual([o.n_downsample_global, o.n_blocks_global, o.niter_fix_global, o.batchSize], [4, 9, 0, 1]);
  assert.deepEqual([o.netG, o.resize_or_crop, o.which_epoch, o.max_dataset_size], [
    "global",
    "scale_width",
    "latest",
    null,
  ]);
});

Deno.test("resolveTrainOptions() applies the official --debug overrides", () => {
  const o = resolveTrainOptions({ debug: true });
  assert.deepEqual([o.display_freq, o.print_freq, o.niter, o.niter_decay, o.max_dataset_size], [
    1,
    1,
    1,
    0,
    10,
  ]);
});

Deno.test("resolveTrainOptions() rejects impossible combinations naming the flag", () => {
  assert.throws(
    () => resolveTrainOptions({ niter_fix_global: 10 }),
    (e: Error) => e instanceof OptionsError && /"niter_fix_global" needs --netG local/.test(e.message),
  );
  assert.throws(
    () => resolveTrainOptions({ instance_feat: true, no_instance: true }),
    /"instance_feat" needs instance maps/,
  );
  assert.throws(() => resolveTrainOptions({ niter: 0, niter_decay: 0 }), /at least 1 epoch/);
  assert.throws(
    () => resolveTrainOptions({ continue_train: true, load_pretrain: "x" }),
    /"load_pretrain" cannot be combined/,
  );
  assert.throws(() => resolveTrainOptions({ ngf_: 3 }), /did you mean "ngf"/);
});

Deno.test("generator and discriminator input channels follow the official formula", () => {
  assert.equal(generatorInputChannels(resolveTrainOptions()), 36);
  assert.equal(generatorInputChannels(resolveTrainOptions({ instance_feat: true })), 39);
  assert.equal(generatorInputChannels(resolveTrainOptions({ no_instance: true })), 35);
  assert.equal(generatorInputChannels(resolveTrainOptions({ label_nc: 0, no_instance: true })), 3);
  assert.equal(discriminatorInputChannels(resolveTrainOptions()), 39);
  assert.equal(discriminatorInputChannels(resolveTrainOptions({ instance_feat: true })), 39);
});

Deno.test("trainSchema documents every option", () => {
  for (const [key, spec] of Object.entries(trainSchema)) assert.ok(spec.doc.length > 5, key);
});
