import assert from "node:assert/strict";
import { DataError } from "../../../kernel/errors.ts";
import { resolveOptions } from "../../../kernel/options.ts";
import { Rng } from "../../../kernel/random.ts";
import { tf } from "../../../backends/tf.ts";
import {
  applyPlan,
  drawParams,
  type Draws,
  planGeometry,
  preprocessSchema,
  roundHalfEven,
} from "../../../plugins/data/preprocess.ts";
import type { Raster } from "../../../plugins/data/raster.ts";
import { restoreSize } from "../../../plugins/data/restore_size.ts";

await tf.ready();
const opts = (o: Record<string, unknown>) => resolveOptions("preprocess", preprocessSchema, o);
const NO_DRAW: Draws = { x: 0, y: 0, flip: 0 };

Deno.test("sizes follow the official rounding for every resize_or_crop mode", () => {
  const size = (w: number, h: number, o: Record<string, unknown>, d = NO_DRAW) => {
    const p = planGeometry(w, h, opts(o), d, "l.png");
    return [p.width, p.height];
  };
  assert.deepEqual(size(2048, 1024, {}), [1024, 512]);
  assert.deepEqual(size(2048, 1024, { loadSize: 512 }), [512, 256]);
  assert.deepEqual(size(1000, 333, {}), [1024, 340]); // int(1024·333/1000) = 340
  assert.deepEqual(size(1024, 333, {}), [1024, 333]); // already loadSize wide: unchanged
  // fit_every_mode (synthesis): then fitted to the network's multiple (16) as __make_power_2
  assert.deepEqual(size(1000, 333, { fit_every_mode: true }), [1024, 336]);
  assert.deepEqual(size(1024, 333, { fit_every_mode: true }), [1024, 336]);
  assert.deepEqual(size(1000, 333, { fit_every_mode: true, n_downsample_global: 0 }), [1024, 340]);
  assert.deepEqual(size(2048, 1024, { resize_or_crop: "scale_width_and_crop" }), [512, 512]);
  assert.deepEqual(size(2048, 1024, { resize_or_crop: "resize_and_crop", loadSize: 600 }), [512, 512]);
  assert.deepEqual(size(700, 300, { resize_or_crop: "crop" }), [512, 512]); // Pillow's crop pads outside
  assert.deepEqual(size(500, 300, { resize_or_crop: "crop" }), [500, 300]); // smaller than fineSize: no crop
  assert.deepEqual(size(500, 300, { resize_or_crop: "crop", fit_every_mode: true }), [496, 304]);
  assert.deepEqual(size(2048, 1024, { resize_or_crop: "none" }), [2048, 1024]);
  assert.deepEqual(size(1000, 600, { resize_or_crop: "none" }), [992, 608]); // round(62.5)=62, round(37.5)=38
  assert.deepEqual(size(1000, 600, { resize_or_crop: "none", netG: "local" }), [992, 608]);
  assert.deepEqual(size(1000, 600, { resize_or_crop: "none", netG: "local", n_local_enhancers: 2 }), [
    1024,
    576,
  ]);
  assert.deepEqual(size(1000, 600, { resize_or_crop: "none", none_fit: "pad" }), [1008, 608]);
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
  assert.equal(roundHalfEven(0.5), 0);
  assert.throws(() => planGeometry(5, 5, opts({ resize_or_crop: "none" }), NO_DRAW, "tiny.png"), DataError);
});

Deno.test("crop position and flip come from the draws exactly like random.randint and random() > 0.5", () => {
  const o = opts({ resize_or_crop: "scale_width_and_crop" });
  const last = planGeometry(2048, 1024, o, { x: 0.99999, y: 0.5, flip: 0.7 }, "l.png");
  assert.deepEqual(last.crop, { x: 512, y: 0, size: 512 });
  assert.equal(last.flip, true);
  const first = planGeometry(2048, 1024, o, { x: 0, y: 0, flip: 0.5 }, "l.png");
  assert.deepEqual(first.crop, { x: 0, y: 0, size: 512 });
  assert.equal(first.flip, false);
  assert.equal(
    planGeometry(2048, 1024, opts({ no_flip: true }), { x: 0, y: 0, flip: 0.9 }, "l.png").flip,
    false,
  );
  const a = new Rng(7), b = new Rng(7);
  assert.deepEqual([drawParams(a), drawParams(a)], [drawParams(b), drawParams(b)]);
});

Deno.test("label, instance and photo get the same crop and flip", () => {
  const w = 40, h = 20;
  const ids = new Int32Array(w * h), inst = new Int32Array(w * h), rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    ids[i] = i % w; // the column
    inst[i] = 1000 + (i % w);
    rgb.fill(Math.floor(((i % w) * 255) / (w - 1)), i * 3, i * 3 + 3);
  }
  const o = opts({ resize_or_crop: "crop", fineSize: 16 });
  const plan = planGeometry(w, h, o, { x: 0.5, y: 0.25, flip: 0.9 }, "l.png");
  assert.deepEqual(plan.crop, { x: 12, y: 1, size: 16 });
  const l = applyPlan<Int32Array>({ width: w, height: h, channels: 1, data: ids }, plan, "nearest");
  const n = applyPlan<Int32Array>({ width: w, height: h, channels: 1, data: inst }, plan, "nearest");
  const p = applyPlan<Uint8Array>({ width: w, height: h, channels: 3, data: rgb }, plan, "bicubic");
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const col = 12 + 15 - x; // flipped
      assert.equal(l.data[y * 16 + x], col);
      assert.equal(n.data[y * 16 + x], 1000 + col);
      assert.equal(p.data[(y * 16 + x) * 3], Math.floor((col * 255) / (w - 1)));
    }
  }
});

Deno.test("none with pad mirrors up to the multiple and restoreSize crops back to the original", async () => {
  const w = 20, h = 10;
  const r: Raster<Uint8Array> = {
    width: w,
    height: h,
    channels: 1,
    data: Uint8Array.from({ length: w * h }, (_, i) => i),
  };
  const plan = planGeometry(
    w,
    h,
    opts({ resize_or_crop: "none", none_fit: "pad", no_flip: true }),
    NO_DRAW,
    "l.png",
  );
  assert.deepEqual([plan.width, plan.height], [32, 16]);
  const padded = applyPlan(r, plan, "nearest");
  assert.equal(padded.data[20], 18); // column 20 mirrors column 18
  const before = tf.memory().numTensors;
  const t = tf.tensor4d(Float32Array.from(padded.data), [1, 16, 32, 1]);
  const back = restoreSize(t, plan);
  assert.deepEqual(back.shape, [1, h, w, 1]);
  assert.deepEqual(Array.from(await back.data()), Array.from(r.data));
  tf.dispose([t, back]);
  const round = planGeometry(1000, 600, opts({ resize_or_crop: "none" }), NO_DRAW, "l.png");
  const out = tf.zeros([1, 608, 992, 3]) as tf.Tensor4D;
  const restored = restoreSize(out, round);
  assert.deepEqual(restored.shape, [1, 600, 1000, 3]);
  assert.throws(() => restoreSize(out, plan), /image is 992×608 but the plan made 32×16/);
  tf.dispose([out, restored]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("with fit_every_mode a scale_width or crop size is fitted to the multiple and restored to the scaled size", () => {
  const plan = planGeometry(2048, 1000, opts({ loadSize: 1024, fit_every_mode: true }), NO_DRAW, "l.png");
  assert.deepEqual([plan.width, plan.height], [1024, 496]); // 500 rows: round(31.25)·16
  assert.deepEqual(plan.fit, { mode: "round", width: 1024, height: 496 });
  const generated = tf.zeros([1, 496, 1024, 3]) as tf.Tensor4D;
  const restored = restoreSize(generated, plan);
  assert.deepEqual(restored.shape, [1, 500, 1024, 3]); // the scaled size, not the original 2048×1000
  const crop = planGeometry(
    700,
    300,
    opts({ resize_or_crop: "crop", fineSize: 90, fit_every_mode: true }),
    NO_DRAW,
    "l.png",
  );
  assert.deepEqual([crop.width, crop.height], [96, 96]);
  const back = restoreSize(tf.zeros([1, 96, 96, 3]) as tf.Tensor4D, crop);
  assert.deepEqual(back.shape, [1, 90, 90, 3]);
  tf.dispose([generated, restored, back]);
});
