import assert from "node:assert/strict";
import { agreement } from "../../bench/full_size.ts";

Deno.test("agreement() counts equal values, values within one level and the largest difference", () => {
  const ours = Uint8Array.from([10, 11, 12, 200]), official = Uint8Array.from([10, 10, 14, 200]);
  assert.deepEqual(agreement(ours, official), { within1: 75, exact: 50, max: 2 });
  assert.throws(() => agreement(ours, official.subarray(1)), /differ in size: 4 vs 3 values/);
});
