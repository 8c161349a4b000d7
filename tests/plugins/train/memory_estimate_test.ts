import assert from "node:assert/strict";
import { tf } from "../../../kernel/tf.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { TrainingSession } from "../../../plugins/train/session.ts";
import {
  estimateTrainingMemory,
  formatMemoryEstimate,
  VGG19_PARAMS,
} from "../../../plugins/train/memory_estimate.ts";
import { trainingBackend } from "./_fixtures.ts";

const backend = await trainingBackend();

function count(params: Map<string, tf.Variable>): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

Deno.test(`estimateTrainingMemory() is within 40% of the measured peak of an iteration: local enhancer 64×32 (${backend})`, async () => {
  const opts = resolveTrainOptions({
    label_nc: 4,
    netG: "local",
    ngf: 8,
    n_downsample_global: 3,
    n_blocks_global: 2,
    n_blocks_local: 1,
    ndf: 8,
    no_vgg_loss: true,
  });
  const session = await TrainingSession.create(opts);
  const input = tf.zeros([1, 32, 64, 5]) as tf.Tensor4D, image = tf.zeros([1, 32, 64, 3]) as tf.Tensor4D;
  session.step({ input, image });
  const { peakBytes } = await tf.profile(() => void session.step({ input, image }));
  const counts = { G: count(session.models.G.params()), D: count(session.models.D.params()) };
  const estimate = estimateTrainingMemory(opts, counts, { height: 32, width: 64 });
  const ratio = estimate.total / peakBytes;
  assert.ok(
    ratio > 0.6 && ratio < 1.4,
    `estimate ${estimate.total} B, measured ${peakBytes} B (×${ratio.toFixed(2)})`,
  );
  assert.equal(estimate.params, 4 * (counts.G + counts.D));
  assert.equal(estimate.optimizer, 2 * estimate.params);
  tf.dispose([input, image]);
  session.dispose();
});

Deno.test("estimateTrainingMemory() counts the frozen VGG19 (13 M weights) and prints GiB by part", () => {
  assert.equal(VGG19_PARAMS, 10585152 + 2359808);
  const m = estimateTrainingMemory(resolveTrainOptions(), { G: 182.5e6, D: 5.6e6 }, {
    height: 512,
    width: 1024,
  });
  assert.equal(m.params, 4 * (182.5e6 + 5.6e6 + VGG19_PARAMS));
  assert.equal(m.gradients, 4 * (182.5e6 + 5.6e6));
  assert.match(
    formatMemoryEstimate(m),
    /^peak memory ≈ \d+\.\d\d GiB \(params 0\.\d\d, gradients 0\.\d\d, Adam 1\.\d\d, activations \d+\.\d\d\)$/,
  );
});
