import assert from "node:assert/strict";
import { boundingBox, growBox, maskPixels, strokePixels } from "../../../plugins/editing/geometry.ts";
import { fillFromSurroundings } from "../../../plugins/editing/fill.ts";

Deno.test("strokePixels() covers the pixels within the radius of the polyline, clipped to the image", () => {
  assert.deepEqual([...strokePixels(5, 5, [[2, 2]], 1)], [7, 11, 12, 13, 17]);
  assert.deepEqual([...strokePixels(5, 5, [[0, 0]], 1)], [0, 1, 5]);
  assert.deepEqual([...strokePixels(6, 2, [[0, 0], [5, 0]], 0.5)], [0, 1, 2, 3, 4, 5]);
  assert.throws(() => strokePixels(5, 5, [[1, 1]], 0), /radius must be > 0: current value is 0/);
  assert.throws(() => strokePixels(5, 5, [[1] as unknown as [number, number]], 1), /points must be \[x, y\]/);
});

Deno.test("maskPixels() selects non-zero pixels moved by an offset, dropping those moved off the image", () => {
  const mask = new Uint8Array(9);
  mask[0] = mask[4] = mask[8] = 1; // the diagonal of a 3×3 image
  assert.deepEqual([...maskPixels(mask, { width: 3, height: 3 }, { width: 3, height: 3 })], [0, 4, 8]);
  assert.deepEqual([...maskPixels(mask, { width: 3, height: 3 }, { width: 3, height: 3 }, [1, 0])], [1, 5]);
  assert.throws(
    () => maskPixels(mask, { width: 3, height: 3 }, { width: 4, height: 3 }, [0, 0], "m.png"),
    /m\.png: mask is 3×3 \(9 values\) but the scene is 4×3/,
  );
});

Deno.test("boundingBox() and growBox() give boxes inside the image, windows rounded to a multiple", () => {
  const box = boundingBox(Int32Array.from([12, 13, 22]), 10);
  assert.deepEqual(box, { x: 2, y: 1, width: 2, height: 2 });
  assert.deepEqual(growBox(box, 1, { width: 10, height: 8 }), { x: 1, y: 0, width: 4, height: 4 });
  assert.deepEqual(growBox(box, 1, { width: 10, height: 8 }, 8), { x: 0, y: 0, width: 8, height: 8 });
  assert.deepEqual(growBox(box, 20, { width: 10, height: 8 }, 4), { x: 0, y: 0, width: 10, height: 8 });
});

Deno.test("fillFromSurroundings() grows stuff into a hole first, things where no stuff touches it", () => {
  // 5×1: stuff 7 | hole | hole | thing 26001 | stuff 8 → both hole pixels become 7 (stuff first)
  const inst = Int32Array.from([7, 99, 99, 26001, 8]);
  assert.deepEqual([...fillFromSurroundings(inst, 5, Int32Array.from([1, 2]))!], [0, 0]);
  // a hole touching only a thing takes the thing
  const only = Int32Array.from([26001, 99, 26001]);
  assert.deepEqual([...fillFromSurroundings(only, 3, Int32Array.from([1]))!], [0]);
  assert.equal(fillFromSurroundings(Int32Array.from([5, 5]), 2, Int32Array.from([0, 1])), null);
});
