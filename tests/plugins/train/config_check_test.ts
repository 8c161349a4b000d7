import assert from "node:assert/strict";
import { mergeStoredConfig } from "../../../plugins/train/config_check.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { CheckpointError } from "../../../kernel/errors.ts";

const stored = { ...resolveTrainOptions({ name: "run", ngf: 8, label_nc: 5, niter: 2, load_pretrain: "x" }) };

Deno.test("mergeStoredConfig() takes untyped options from the checkpoint", () => {
  const o = mergeStoredConfig(stored, { name: "run", continue_train: true }, "f");
  assert.equal(o.ngf, 8);
  assert.equal(o.label_nc, 5);
  assert.equal(o.continue_train, true);
  assert.equal(o.load_pretrain, "");
});

Deno.test("mergeStoredConfig() lets run-control options change (frequencies, epochs)", () => {
  const o = mergeStoredConfig(stored, { niter: 5, print_freq: 7, ngf: 8 }, "f");
  assert.deepEqual([o.niter, o.print_freq, o.ngf], [5, 7, 8]);
});

Deno.test("mergeStoredConfig() reports every conflict with key, stored and given value", () => {
  assert.throws(
    () =>
      mergeStoredConfig(
        stored,
        { ngf: 16, label_nc: 35, lr: 0.1 },
        "checkpoints/run/latest_train_state.safetensors",
      ),
    (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(
        e.message,
        /^checkpoints\/run\/latest_train_state\.safetensors: the command line conflicts/,
      );
      assert.match(
        e.message,
        /label_nc: stored 5, given 35; ngf: stored 8, given 16; lr: stored 0\.0002, given 0\.1/,
      );
      return true;
    },
  );
});

Deno.test("mergeStoredConfig() ignores keys this version does not know", () => {
  const o = mergeStoredConfig({ ...stored, local_rank: 0 }, {}, "f");
  assert.equal(o.ngf, 8);
});
