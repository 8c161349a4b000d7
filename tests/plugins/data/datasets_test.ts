import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../../../kernel/errors.ts";
import { log } from "../../../kernel/log.ts";
import { resolveOptions } from "../../../kernel/options.ts";
import type { Sample } from "../../../kernel/plugin.ts";
import { tf } from "../../../backends/tf.ts";
import { ade20kDataset } from "../../../plugins/data/datasets/ade20k.ts";
import { alignedDataset } from "../../../plugins/data/datasets/aligned.ts";
import { cityscapesDataset } from "../../../plugins/data/datasets/cityscapes.ts";
import { helenDataset } from "../../../plugins/data/datasets/helen.ts";
import type { DatasetSource } from "../../../plugins/data/source.ts";
import { BUNDLED, makeAligned, mapOf, writePng } from "./helpers.ts";

await tf.ready();
const ctx = { backend: tf.getBackend(), log };

async function collect(source: DatasetSource): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of source.samples(ctx)) out.push(s);
  return out;
}

function dispose(samples: Sample[]) {
  for (const s of samples) tf.dispose(Object.values(s).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
}

function aligned(o: Record<string, unknown>): DatasetSource {
  return alignedDataset.create(resolveOptions("aligned", alignedDataset.schema, o), ctx);
}

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "p2phd_data_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("aligned reads the bundled Cityscapes triples at scale_width size with 16-bit ids intact", async () => {
  const before = tf.memory().numTensors;
  const src = aligned({ dataroot: BUNDLED, loadSize: 256, max_dataset_size: 2, prefetch: 0, no_flip: true });
  assert.equal(src.size, 2);
  assert.deepEqual(src.gives, [
    "name",
    "labelPath",
    "plan",
    "label",
    "instPath",
    "inst",
    "imagePath",
    "image",
  ]);
  const samples = await collect(src);
  assert.equal(samples.length, 2);
  for (const s of samples) {
    assert.deepEqual((s.label as tf.Tensor).shape, [1, 128, 256, 1]);
    assert.equal((s.inst as tf.Tensor).dtype, "int32");
    assert.deepEqual((s.image as tf.Tensor).shape, [1, 128, 256, 3]);
    const inst = await (s.inst as tf.Tensor).data();
    assert.ok(inst.some((v) => v > 26000), "instance ids class*1000+k are kept");
    const px = await (s.image as tf.Tensor).data();
    assert.ok(Math.min(...px) >= -1 && Math.max(...px) <= 1);
  }
  dispose(samples);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("the same seed gives the same order, crops and flips; serial_batches keeps sorted order", async () => {
  const o = {
    dataroot: BUNDLED,
    resize_or_crop: "scale_width_and_crop",
    loadSize: 128,
    fineSize: 48,
    prefetch: 0,
  };
  const run = async (extra: Record<string, unknown>) => {
    const samples = await collect(aligned({ ...o, ...extra }));
    const out = samples.map((s) =>
      `${s.name}:${JSON.stringify((s.plan as { crop: unknown }).crop)}:${(s.plan as { flip: boolean }).flip}`
    );
    dispose(samples);
    return out;
  };
  const a = await run({ seed: 3 }), b = await run({ seed: 3 }), c = await run({ seed: 4 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const serial = await run({ serial_batches: true, max_dataset_size: 3 });
  assert.deepEqual(serial.map((s) => s.split(":")[0]), [
    "aachen_000000_000019",
    "aachen_000001_000019",
    "aachen_000002_000019",
  ]);
});

Deno.test("reading ahead in workers gives exactly the samples read inline", async () => {
  const o = { dataroot: BUNDLED, loadSize: 128, max_dataset_size: 3, seed: 9 };
  const inline = await collect(aligned({ ...o, prefetch: 0 }));
  const ahead = await collect(aligned({ ...o, prefetch: 2 }));
  assert.deepEqual(ahead.map((s) => s.name), inline.map((s) => s.name));
  for (let i = 0; i < inline.length; i++) {
    for (const k of ["label", "inst", "image"]) {
      assert.deepEqual(await (ahead[i][k] as tf.Tensor).data(), await (inline[i][k] as tf.Tensor).data(), k);
    }
  }
  dispose(inline);
  dispose(ahead);
});

Deno.test("batchSize keeps a whole number of batches and fewer samples than a batch is an error", async () => {
  await withTmp(async (dir) => {
    await makeAligned(dir, ["a", "b", "c"]);
    assert.equal(aligned({ dataroot: dir, batchSize: 2, prefetch: 0 }).size, 2);
    await assert.rejects(
      () => collect(aligned({ dataroot: dir, batchSize: 4, prefetch: 0 })),
      /has 3 sample\(s\), fewer than batchSize 4/,
    );
  });
});

Deno.test("an empty label folder, mismatched names and unequal counts are errors naming the folder or file", async () => {
  await withTmp(async (dir) => {
    await Deno.mkdir(join(dir, "train_label"));
    assert.throws(
      () => aligned({ dataroot: dir }),
      (e: Error) => e instanceof DataError && /train_label: has no image files/.test(e.message),
    );
    await makeAligned(dir, ["a", "b"]);
    await Deno.rename(join(dir, "train_img", "b.png"), join(dir, "train_img", "c.png"));
    assert.throws(
      () => aligned({ dataroot: dir }),
      /train_label\/b\.png: has no partner in .*train_img \(expected a file named b\*\).*and 1 more problem/,
    );
    await Deno.remove(join(dir, "train_img", "c.png"));
    assert.throws(
      () => aligned({ dataroot: dir, match: "order" }),
      /train_img: has 1 files but .*train_label has 2/,
    );
    assert.throws(() => aligned({ dataroot: join(dir, "nope") }), /nope\/train_label: does not exist/);
  });
});

Deno.test("a photo of another size than its label map is an error naming both files", async () => {
  await withTmp(async (dir) => {
    await makeAligned(dir, ["a"]);
    await writePng(join(dir, "train_img", "a.png"), 8, 8, new Uint8Array(8 * 8 * 3), 3);
    await assert.rejects(
      () => collect(aligned({ dataroot: dir, prefetch: 0 })),
      /train_img\/a\.png: is 8×8 but its label map .*train_label\/a\.png is 16×8/,
    );
    await assert.rejects(() => collect(aligned({ dataroot: dir, prefetch: 1 })), DataError);
  });
});

Deno.test("an 8-bit instance map that has lost its ids is an error with the fix", async () => {
  await withTmp(async (dir) => {
    await makeAligned(dir, ["a"]);
    const cls = (x: number) => (x >> 2) % 3;
    await writePng(
      join(dir, "train_inst", "a.png"),
      16,
      8,
      mapOf(16, 8, (x, y) => (cls(x) === 2 ? (2000 + (y >> 2)) & 255 : cls(x))),
    );
    await assert.rejects(
      () => collect(aligned({ dataroot: dir, prefetch: 0 })),
      /train_inst\/a\.png: instance map is 8-bit and has lost its ids: 32 pixel\(s\) disagree .*re-export it as a 16-bit PNG/,
    );
    const ok = await collect(aligned({ dataroot: dir, prefetch: 0, check_inst_ids: false }));
    dispose(ok);
  });
});

Deno.test("colour-coded label maps read through label_palette", async () => {
  await withTmp(async (dir) => {
    await makeAligned(dir, ["a"]);
    const rgb = new Uint8Array(16 * 8 * 3);
    const colors = [[0, 0, 0], [111, 74, 0], [81, 0, 81]];
    for (let i = 0; i < 16 * 8; i++) rgb.set(colors[((i % 16) >> 2) % 3], i * 3);
    await writePng(join(dir, "train_label", "a.png"), 16, 8, rgb, 3);
    const [s] = await collect(
      aligned({ dataroot: dir, prefetch: 0, label_palette: "cityscapes", loadSize: 16, no_flip: true }),
    );
    assert.deepEqual(Array.from((await (s.label as tf.Tensor).data()).slice(0, 12)), [
      0,
      0,
      0,
      0,
      5,
      5,
      5,
      5,
      6,
      6,
      6,
      6,
    ]);
    dispose([s]);
  });
});

Deno.test("label_nc 0 reads {phase}_A / {phase}_B images as RGB in [-1, 1]", async () => {
  await withTmp(async (dir) => {
    await writePng(join(dir, "train_A", "x.png"), 4, 2, new Uint8Array(24).fill(255), 3);
    await writePng(join(dir, "train_B", "x.png"), 4, 2, new Uint8Array(24), 3);
    const [s] = await collect(
      aligned({ dataroot: dir, label_nc: 0, no_instance: true, prefetch: 0, loadSize: 4 }),
    );
    assert.deepEqual((s.label as tf.Tensor).shape, [1, 2, 4, 3]);
    assert.ok((await (s.label as tf.Tensor).data()).every((v) => v === 1));
    assert.ok((await (s.image as tf.Tensor).data()).every((v) => v === -1));
    dispose([s]);
  });
});

Deno.test("label_nc 0 still reads {phase}_inst unless no_instance, as the official AlignedDataset", async () => {
  await withTmp(async (dir) => {
    await writePng(join(dir, "train_A", "x.png"), 16, 16, new Uint8Array(16 * 16 * 3).fill(255), 3);
    await writePng(join(dir, "train_B", "x.png"), 16, 16, new Uint8Array(16 * 16 * 3), 3);
    assert.throws(
      () => aligned({ dataroot: dir, label_nc: 0, prefetch: 0, loadSize: 16 }),
      (e: Error) =>
        e instanceof DataError &&
        /train_inst: does not exist but .*train_A has 1 file\(s\): add the instance maps there, or pass --no_instance/
          .test(e.message),
    );
    await writePng(join(dir, "train_inst", "x.png"), 16, 16, mapOf(16, 16, (x) => 1000 + (x >> 3), true));
    const [s] = await collect(
      aligned({ dataroot: dir, label_nc: 0, prefetch: 0, loadSize: 16, no_flip: true }),
    );
    assert.deepEqual((s.inst as tf.Tensor).shape, [1, 16, 16, 1]);
    const ids = await (s.inst as tf.Tensor).data();
    assert.deepEqual([ids[0], ids[7], ids[8], ids[255]], [1000, 1000, 1001, 1001]);
    dispose([s]);
  });
});

Deno.test("cityscapes reads the original gtFine/leftImg8bit tree", async () => {
  await withTmp(async (dir) => {
    for (const [city, id] of [["aachen", "aachen_000000_000019"], ["bremen", "bremen_000001_000019"]]) {
      await writePng(
        join(dir, "gtFine", "train", city, `${id}_gtFine_labelIds.png`),
        8,
        4,
        mapOf(8, 4, () => 26),
      );
      await writePng(
        join(dir, "gtFine", "train", city, `${id}_gtFine_instanceIds.png`),
        8,
        4,
        mapOf(8, 4, (x) => 26000 + (x >> 2), true),
      );
      await writePng(
        join(dir, "gtFine", "train", city, `${id}_gtFine_color.png`),
        8,
        4,
        new Uint8Array(96),
        3,
      );
      await writePng(
        join(dir, "leftImg8bit", "train", city, `${id}_leftImg8bit.png`),
        8,
        4,
        new Uint8Array(96),
        3,
      );
    }
    const o = resolveOptions("cityscapes", cityscapesDataset.schema, {
      dataroot: dir,
      loadSize: 8,
      prefetch: 0,
      serial_batches: true,
      no_flip: true,
    });
    const samples = await collect(cityscapesDataset.create(o, ctx));
    assert.deepEqual(samples.map((s) => s.name), ["aachen_000000_000019", "bremen_000001_000019"]);
    assert.deepEqual(Array.from(await (samples[0].inst as tf.Tensor).data()).slice(0, 8), [
      26000,
      26000,
      26000,
      26000,
      26001,
      26001,
      26001,
      26001,
    ]);
    dispose(samples);
  });
});

Deno.test("ade20k reads ADEChallengeData2016 (jpg photos, 151 classes, no instances)", async () => {
  await withTmp(async (dir) => {
    const { Image } = await import("imagescript");
    const jpg = await new Image(8, 4).fill(0x808080ff).encodeJPEG(90);
    await Deno.mkdir(join(dir, "images", "training"), { recursive: true });
    await Deno.writeFile(join(dir, "images", "training", "ADE_train_00000001.jpg"), jpg);
    await writePng(
      join(dir, "annotations", "training", "ADE_train_00000001.png"),
      8,
      4,
      mapOf(8, 4, (x) => x * 20),
    );
    const o = resolveOptions("ade20k", ade20kDataset.schema, { dataroot: dir, loadSize: 8, prefetch: 0 });
    const [s] = await collect(ade20kDataset.create(o, ctx));
    assert.equal(s.inst, undefined);
    assert.equal(Math.max(...await (s.label as tf.Tensor).data()), 140);
    assert.deepEqual((s.image as tf.Tensor).shape, [1, 4, 8, 3]);
    dispose([s]);
  });
});

Deno.test("helen takes each pixel's strongest of the 11 class masks and follows the split list", async () => {
  await withTmp(async (dir) => {
    const { Image } = await import("imagescript");
    for (const name of ["100032540_1", "100040721_1"]) {
      await Deno.mkdir(join(dir, "images"), { recursive: true });
      await Deno.writeFile(join(dir, "images", `${name}.jpg`), await new Image(4, 2).encodeJPEG(90));
      for (let k = 0; k < 11; k++) {
        const mask = mapOf(4, 2, (x) => (k === 10 && x === 0 ? 255 : k === 1 && x > 0 ? 200 : 0));
        await writePng(join(dir, "labels", name, `${name}_lbl${String(k).padStart(2, "0")}.png`), 4, 2, mask);
      }
    }
    await Deno.writeTextFile(join(dir, "exemplars.txt"), "1 , 100040721_1\n");
    const o = resolveOptions("helen", helenDataset.schema, {
      dataroot: dir,
      loadSize: 4,
      prefetch: 0,
      no_flip: true,
    });
    const samples = await collect(helenDataset.create(o, ctx));
    assert.deepEqual(samples.map((s) => s.name), ["100040721_1"]);
    assert.deepEqual(Array.from(await (samples[0].label as tf.Tensor).data()), [10, 1, 1, 1, 10, 1, 1, 1]);
    dispose(samples);
  });
});
