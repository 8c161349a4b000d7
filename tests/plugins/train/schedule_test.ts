import assert from "node:assert/strict";
import { learningRateAt, totalEpochs } from "../../../plugins/train/schedule.ts";

const official = { lr: 0.0002, niter: 100, niter_decay: 100 };

Deno.test("learningRateAt() keeps lr for the first niter epochs", () => {
  for (const epoch of [1, 50, 100, 101]) assert.equal(learningRateAt(official, epoch), 0.0002);
});

Deno.test("learningRateAt() subtracts lr/niter_decay after each epoch past niter, like update_learning_rate", () => {
  // The official loop: after epoch e > niter, old_lr -= lr / niter_decay (float64, repeated).
  let lr = 0.0002;
  const expected = new Map<number, number>();
  for (let epoch = 1; epoch <= 200; epoch++) {
    expected.set(epoch, lr);
    if (epoch > 100) lr -= 0.0002 / 100;
  }
  for (const [epoch, value] of expected) {
    assert.equal(learningRateAt(official, epoch), value, `epoch ${epoch}`);
  }
  assert.equal(learningRateAt(official, 102), 0.0002 - 0.000002);
  assert.ok(Math.abs(learningRateAt(official, 200) - 0.000002) < 1e-18);
});

Deno.test("learningRateAt() decays 1024p's 50+50 schedule linearly towards zero", () => {
  const recipe = { lr: 0.0002, niter: 50, niter_decay: 50 };
  assert.equal(totalEpochs(recipe), 100);
  assert.ok(Math.abs(learningRateAt(recipe, 76) - 0.0001) < 1e-15);
  assert.ok(learningRateAt(recipe, 100) > 0);
});

Deno.test("learningRateAt() rejects epoch 0 with the value", () => {
  assert.throws(() => learningRateAt(official, 0), /epoch must be an integer ≥ 1: current value is 0/);
});
