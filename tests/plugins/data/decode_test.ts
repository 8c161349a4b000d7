import assert from "node:assert/strict";
import { encode } from "fast-png";
import { Image } from "imagescript";
import { join } from "node:path";
import { DataError } from "../../../kernel/errors.ts";
import { tf } from "../../../backends/tf.ts";
import { decodeImage, readImageFile } from "../../../plugins/data/decode.ts";
import { toInstanceIds, toLabelIds, toRgb } from "../../../plugins/data/maps.ts";
import { idsToTensor, rgbToTensor } from "../../../plugins/data/sample_tensors.ts";
import { nchwToNhwc, readNpyFile } from "./npy.ts";
import { PARITY } from "./helpers.ts";

await tf.ready();

Deno.test("label.png, inst.png and image.png decode to the official loader's label, inst and real_image", async () => {
  const before = tf.memory().numTensors;
  const label = idsToTensor(toLabelIds(await readImageFile(join(PARITY, "label.png")), "label.png"));
  const inst = idsToTensor(toInstanceIds(await readImageFile(join(PARITY, "inst.png")), "inst.png"));
  const image = rgbToTensor(toRgb(await readImageFile(join(PARITY, "image.png"))));
  assert.deepEqual(
    Array.from(await label.data()),
    Array.from(nchwToNhwc(await readNpyFile(join(PARITY, "label.npy")))),
  );
  assert.deepEqual(
    Array.from(await inst.data()),
    Array.from((await readNpyFile(join(PARITY, "inst.npy"))).data),
  );
  const real = nchwToNhwc(await readNpyFile(join(PARITY, "real_image.npy")));
  const ours = await image.data();
  assert.deepEqual(image.shape, [1, 32, 64, 3]);
  assert.ok(ours.every((v, i) => Math.abs(v - real[i]) <= 1e-6), "image differs from real_image.npy");
  tf.dispose([label, inst, image]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("16-bit instance ids above 32767 survive an encode/decode round trip unsigned", async () => {
  const ids = Uint16Array.from([0, 7, 26001, 33001, 33008, 65535]);
  const png = encode({ width: 3, height: 2, data: ids, depth: 16, channels: 1 });
  const decoded = await decodeImage(png, "ids.png");
  assert.equal(decoded.depth, 16);
  assert.deepEqual(Array.from(toInstanceIds(decoded, "ids.png").data), Array.from(ids));
});

Deno.test("palette, grey+alpha, RGBA, low-bit and interlaced PNGs decode to the stored values", async () => {
  const palette = encode({
    width: 2,
    height: 2,
    data: Uint8Array.from([0, 1, 2, 1]),
    depth: 8,
    channels: 1,
    palette: [[10, 20, 30], [40, 50, 60], [70, 80, 90]],
  });
  const p = await decodeImage(palette, "p.png");
  assert.deepEqual(Array.from(toLabelIds(p, "p.png").data), [0, 1, 2, 1]);
  assert.deepEqual(Array.from(toRgb(p).data.slice(0, 6)), [10, 20, 30, 40, 50, 60]);
  const la = await decodeImage(
    encode({ width: 2, height: 1, data: Uint8Array.from([5, 255, 9, 0]), depth: 8, channels: 2 }),
    "la.png",
  );
  assert.deepEqual(Array.from(toLabelIds(la, "la.png").data), [5, 9]);
  const rgba = await decodeImage(
    encode({ width: 1, height: 2, data: Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 255]), depth: 8, channels: 4 }),
    "rgba.png",
  );
  assert.deepEqual(Array.from(toRgb(rgba).data), [1, 2, 3, 4, 5, 6]);
  const fourBit = await decodeImage(
    encode({ width: 3, height: 2, data: Uint8Array.from([0x12, 0x30, 0x45, 0x60]), depth: 4, channels: 1 }),
    "4.png",
  );
  assert.deepEqual(Array.from(toLabelIds(fourBit, "4.png").data), [1, 2, 3, 4, 5, 6]);
  const ids = Uint16Array.from({ length: 9 * 7 }, (_, i) => i * 500);
  const adam7 = await decodeImage(
    encode({ width: 9, height: 7, data: ids, depth: 16, channels: 1 }, { interlace: "Adam7" }),
    "i.png",
  );
  assert.deepEqual(Array.from(toInstanceIds(adam7, "i.png").data), Array.from(ids));
});

Deno.test("JPEG photos decode to 8-bit RGB", async () => {
  const img = new Image(8, 4);
  img.fill(0x4080c0ff);
  const decoded = await decodeImage(await img.encodeJPEG(95), "photo.jpg");
  const rgb = toRgb(decoded);
  assert.equal(decoded.format, "jpeg");
  assert.equal(rgb.data.length, 8 * 4 * 3);
  assert.ok(
    Math.abs(rgb.data[0] - 0x40) <= 2 && Math.abs(rgb.data[1] - 0x80) <= 2 &&
      Math.abs(rgb.data[2] - 0xc0) <= 2,
  );
});

Deno.test("a corrupt, truncated, empty or non-image file is a DataError naming the file", async () => {
  const good = await Deno.readFile(join(PARITY, "image.png"));
  const corrupt = good.slice();
  corrupt[200] ^= 0xff;
  await assert.rejects(
    () => decodeImage(corrupt, "c.png"),
    (e: Error) => e instanceof DataError && /c\.png: .*corrupt/.test(e.message),
  );
  await assert.rejects(
    () => decodeImage(good.slice(0, good.length - 600), "t.png"),
    (e: Error) => e instanceof DataError && /t\.png: .*(corrupt or truncated|truncated)/.test(e.message),
  );
  await assert.rejects(() => decodeImage(new Uint8Array(), "e.png"), /e\.png: is empty/);
  await assert.rejects(
    () => decodeImage(new TextEncoder().encode("hello"), "x.png"),
    /x\.png: is neither a PNG nor a JPEG/,
  );
  await assert.rejects(
    () => readImageFile("/nonexistent/a.png"),
    /\/nonexistent\/a\.png: cannot be read \(file not found\)/,
  );
});

Deno.test("an RGB label map without a palette and an RGB instance map are clear errors", async () => {
  const rgb = await decodeImage(
    encode({ width: 1, height: 1, data: Uint8Array.from([1, 2, 3]), depth: 8, channels: 3 }),
    "l.png",
  );
  assert.throws(() => toLabelIds(rgb, "l.png"), /l\.png: label map is RGB \(colour-coded\).*label_palette/);
  assert.throws(() => toInstanceIds(rgb, "i.png"), /i\.png: instance map has 3 channels/);
});
