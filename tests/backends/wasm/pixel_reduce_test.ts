import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { pixelReductionLayout, sumPixels } from "../../../backends/wasm/pixel_reduce.ts";
import { assertClose, onBackend, seeded } from "./_helpers.ts";

Deno.test("pixelReductionLayout() recognises sums over the pixels only", () => {
  assert.deepEqual(pixelReductionLayout([2, 3, 4, 5], [1, 2]), {
    batch: 2,
    pixels: 12,
    channels: 5,
    overBatch: false,
  });
  assert.deepEqual(pixelReductionLayout([1, 3, 4, 5], [2, 0, 1]), {
    batch: 1,
    pixels: 12,
    channels: 5,
    overBatch: true,
  });
  assert.equal(pixelReductionLayout([2, 3, 4, 5], [0, 1, 2]), null);
  assert.equal(pixelReductionLayout([2, 3, 4, 5], 3), null);
  assert.equal(pixelReductionLayout([3, 4, 5], [1, 2]), null);
});

Deno.test("sumPixels() adds in float64: 2^24 + 1 + 1 … does not stall as a float32 sum does", () => {
  const x = new Float32Array(1 + 1000);
  x.fill(1);
  x[0] = 2 ** 24;
  const [sum] = sumPixels(x, { batch: 1, pixels: x.length, channels: 1 }, false);
  assert.equal(sum, 2 ** 24 + 1000);
});

Deno.test("Mean and Sum over the pixels on wasm match cpu, and other reductions keep the backend's kernels", async () => {
  const cases: [string, () => tf.Tensor][] = [
    ["mean keepDims", () => tf.mean(tf.tensor4d(seeded(2 * 9 * 13 * 7, 1), [2, 9, 13, 7]), [1, 2], true)],
    ["sum", () => tf.sum(tf.tensor4d(seeded(2 * 5 * 6 * 3, 2), [2, 5, 6, 3]), [2, 1])],
    ["sum over batch of one", () => tf.sum(tf.tensor4d(seeded(12 * 10 * 9, 3), [1, 12, 10, 9]), [0, 1, 2])],
    ["mean over channels", () => tf.mean(tf.tensor4d(seeded(4 * 5 * 6, 4), [1, 4, 5, 6]), 3)],
    ["sum over all", () => tf.sum(tf.tensor4d(seeded(2 * 3 * 4 * 5, 5), [2, 3, 4, 5]))],
  ];
  for (const [label, f] of cases) {
    const [expected] = await onBackend("cpu", () => [f()]);
    const [actual] = await onBackend("wasm", () => [f()]);
    assertClose(actual, expected, 1e-6, label);
  }
  await tf.setBackend("wasm");
  const ints = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], "int32");
  assert.deepEqual(Array.from(tf.sum(ints, [1, 2]).dataSync()), [10]);
  ints.dispose();
});
