import assert from "node:assert/strict";
import { resizeBicubic, resizeNearest } from "../../../plugins/data/resize.ts";
import { readNpyFile } from "./npy.ts";

const FIXTURES = new URL("./fixtures", import.meta.url).pathname;

Deno.test("bicubic resize is bit-exact with Pillow's Image.resize(BICUBIC), up and down", async () => {
  for (let i = 0; i < 5; i++) {
    const input = await readNpyFile(`${FIXTURES}/pillow_${i}_in.npy`);
    const want = await readNpyFile(`${FIXTURES}/pillow_${i}_bicubic.npy`);
    const [h, w] = input.shape;
    const got = resizeBicubic(
      { width: w, height: h, channels: 3, data: input.data as Uint8Array },
      want.shape[1],
      want.shape[0],
    );
    assert.deepEqual(
      Array.from(got.data),
      Array.from(want.data),
      `case ${i}: ${w}×${h} → ${want.shape[1]}×${want.shape[0]}`,
    );
  }
});

Deno.test("nearest resize picks the same source pixels as Pillow's Image.resize(NEAREST) and keeps ids", async () => {
  for (let i = 0; i < 5; i++) {
    const ids = await readNpyFile(`${FIXTURES}/pillow_${i}_ids.npy`);
    const want = await readNpyFile(`${FIXTURES}/pillow_${i}_nearest.npy`);
    const [h, w] = ids.shape;
    const got = resizeNearest(
      { width: w, height: h, channels: 1, data: ids.data as Int32Array },
      want.shape[1],
      want.shape[0],
    );
    assert.deepEqual(Array.from(got.data), Array.from(want.data), `case ${i}`);
  }
});

Deno.test("resizing to the same size returns the input unchanged", () => {
  const r = { width: 2, height: 1, channels: 1, data: Uint8Array.from([3, 4]) };
  assert.equal(resizeBicubic(r, 2, 1), r);
  assert.equal(resizeNearest(r, 2, 1), r);
});
