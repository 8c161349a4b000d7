import assert from "node:assert/strict";
import { LOSS_NAMES, lossEnabled, LOSSES } from "../../../plugins/losses/catalog.ts";
import { lossLogLine } from "../../../plugins/train/official_logs.ts";
import { lossPlotSvg } from "../../../plugins/train/loss_plot.ts";

Deno.test("LOSSES lists the official losses in loss_log.txt's order, each generator loss with its term", () => {
  assert.deepEqual(LOSS_NAMES, ["G_GAN", "G_GAN_Feat", "G_VGG", "D_real", "D_fake"]);
  for (const loss of LOSSES) assert.equal("generatorTerm" in loss, loss.net === "G", loss.name);
});

Deno.test("lossEnabled() turns a loss off by its flag only", () => {
  const [gan, feat, vgg] = LOSSES;
  assert.ok(lossEnabled(gan, { no_ganFeat_loss: true, no_vgg_loss: true }));
  assert.ok(!lossEnabled(feat, { no_ganFeat_loss: true }));
  assert.ok(lossEnabled(feat, { no_vgg_loss: true }));
  assert.ok(!lossEnabled(vgg, { no_vgg_loss: true }));
});

Deno.test("the official log line and the loss plot read the catalog (names, switches, colours)", () => {
  const losses = { G_GAN: 1, G_GAN_Feat: 2, G_VGG: 3, D_real: 4, D_fake: 5 };
  const line = lossLogLine({ epoch: 1, epochIter: 2, time: 0.5 }, losses, {
    no_ganFeat_loss: false,
    no_vgg_loss: true,
  });
  assert.equal(
    line,
    "(epoch: 1, iters: 2, time: 0.500) G_GAN: 1.000 G_GAN_Feat: 2.000 D_real: 4.000 D_fake: 5.000 \n",
  );
  const record = { ...losses, epoch: 1, epoch_iter: 1, total_steps: 1, time: 0.1, lr: 2e-4 };
  const svg = lossPlotSvg([record, { ...record, total_steps: 2 }]);
  for (const loss of LOSSES) assert.ok(svg.includes(loss.color), `${loss.name}'s colour is in the plot`);
});
