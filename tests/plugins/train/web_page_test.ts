import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { tf } from "../../../backends/tf.ts";
import {
  appendLossLog,
  type LossRecord,
  readLossLog,
  truncateLossLog,
} from "../../../plugins/train/loss_log.ts";
import { lossPlotSvg } from "../../../plugins/train/loss_plot.ts";
import { saveVisuals, writeWebPage } from "../../../plugins/train/web_page.ts";
import { CITYSCAPES_PALETTE } from "../../../plugins/data/palettes/cityscapes.ts";

await tf.setBackend("cpu");

function record(step: number, d = 0.25): LossRecord {
  return {
    epoch: 1,
    epoch_iter: step,
    total_steps: step,
    time: 0.5,
    lr: 2e-4,
    G_GAN: 1 / step,
    G_GAN_Feat: 3,
    G_VGG: 0,
    D_real: d,
    D_fake: d,
  };
}

Deno.test("loss log appends JSON lines and truncates past a resumed step", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "loss_log.jsonl");
  assert.deepEqual(await readLossLog(path), []);
  for (const s of [1, 2, 3]) await appendLossLog(path, record(s));
  assert.deepEqual((await readLossLog(path)).map((r) => r.total_steps), [1, 2, 3]);
  await truncateLossLog(path, 2);
  assert.deepEqual((await readLossLog(path)).map((r) => r.total_steps), [1, 2]);
  await Deno.writeTextFile(path, "{oops\n", { append: true });
  await assert.rejects(() => readLossLog(path), /loss_log\.jsonl: line 3 is not JSON/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lossPlotSvg() draws a line per active loss and leaves out losses that are off", () => {
  const svg = lossPlotSvg([record(1), record(2, 0.3), record(3)]);
  assert.match(svg, /^<svg/);
  for (const k of ["G_GAN", "G_GAN_Feat", "D_real", "D_fake"]) assert.match(svg, new RegExp(`>${k}<`));
  assert.doesNotMatch(svg, />G_VGG</);
  assert.equal((svg.match(/<polyline/g) ?? []).length, 4);
  assert.equal(lossPlotSvg([]), "");
});

Deno.test("saveVisuals() writes the three PNGs in the palette and writeWebPage() lists them newest first", async () => {
  const dir = await Deno.makeTempDir();
  const label = tf.tensor4d([7, 26, 23, 0], [1, 2, 2, 1], "int32");
  const img = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  await saveVisuals(
    dir,
    { epoch: 1, totalSteps: 5 },
    { label, synthesized: img, real: img },
    CITYSCAPES_PALETTE,
  );
  await saveVisuals(
    dir,
    { epoch: 2, totalSteps: 12 },
    { label, synthesized: img, real: img },
    CITYSCAPES_PALETTE,
  );
  assert.equal(tf.memory().numTensors, before);
  const png = decode(await Deno.readFile(join(dir, "images", "epoch001_iter0000005_input_label.png")));
  assert.deepEqual([...png.data.slice(0, 6)], [128, 64, 128, 0, 0, 142]);
  const page = await writeWebPage(dir, "demo <1>", [record(5), record(12)]);
  const html = await Deno.readTextFile(page);
  assert.match(html, /<title>pix2pixHD training: demo &lt;1&gt;<\/title>/);
  assert.ok(html.indexOf("iteration 12") < html.indexOf("iteration 5"), "newest first");
  assert.match(html, /images\/epoch002_iter0000012_synthesized_image\.png/);
  assert.match(html, /<svg/);
  tf.dispose([label, img]);
  await Deno.remove(dir, { recursive: true });
});
