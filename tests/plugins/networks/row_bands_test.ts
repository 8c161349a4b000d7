import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { convolveInBands, rowBands } from "../../../plugins/networks/_layers/row_bands.ts";

Deno.test("rowBands() covers every output row once, with the input rows and zero padding each band reads", () => {
  for (
    const [height, kernel, stride, padding] of [[37, 3, 1, 1], [40, 3, 2, 1], [23, 7, 1, 0], [64, 4, 2, 2]]
  ) {
    const outWidth = 50;
    const budget = 3 * outWidth * kernel * kernel * 4; // three output rows a band
    const bands = rowBands({ height, outWidth, kernel, stride, padding }, budget);
    const outHeight = Math.floor((height + 2 * padding - kernel) / stride) + 1;
    assert.equal(bands.reduce((n, b) => n + b.rows, 0), outHeight);
    assert.ok(bands.length > 1);
    for (const b of bands) {
      // the band's padded input gives exactly its output rows
      assert.equal(Math.floor((b.end - b.start + b.top + b.bottom - kernel) / stride) + 1, b.rows);
      assert.ok(b.start >= 0 && b.end <= height && b.top <= padding && b.bottom <= padding);
    }
  }
  assert.equal(rowBands({ height: 16, outWidth: 16, kernel: 3, stride: 1, padding: 1 }).length, 1);
});

Deno.test("a 7×7 convolution at 2048×1024 on plain wasm runs in bands and equals one convolution on cpu", async () => {
  // a band per ~40 rows at the default budget; compare against the cpu backend's single convolution
  const [h, w, cin, cout] = [1024, 2048, 2, 3];
  const x = new Float32Array(h * w * cin).map((_, i) => Math.sin(i * 0.37));
  const f = new Float32Array(7 * 7 * cin * cout).map((_, i) => Math.cos(i * 0.11) * 0.1);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const xt = tf.tensor4d(x, [1, h, w, cin]), ft = tf.tensor4d(f, [7, 7, cin, cout]);
    const y = convolveInBands(
      xt,
      { kernel: 7, stride: 2, padding: 3 },
      (rows, [top, bottom]) => tf.conv2d(rows, ft, 2, [[0, 0], [top, bottom], [3, 3], [0, 0]]),
    );
    const values = await y.data();
    tf.dispose([xt, ft, y]);
    assert.equal(tf.memory().numTensors, before);
    return values;
  };
  const banded = await run("wasm");
  const whole = await run("cpu");
  assert.equal(banded.length, whole.length);
  let worst = 0;
  for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(banded[i] - whole[i]));
  assert.ok(worst < 1e-5, `max difference ${worst}`);
});
