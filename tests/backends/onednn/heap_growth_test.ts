import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { assertMatchesCpu, ONEDNN, seeded } from "./conv_helpers.ts";

Deno.test({
  name: "onednn conv whose output makes the wasm heap grow writes into the new heap",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await tf.setBackend("wasm");
    const heapBefore = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
    // 1x192x256x128 float32 = 24 MiB of output: more than the heap had free at start.
    await assertMatchesCpu("heap growth", () => {
      const x = tf.tensor4d(seeded(1 * 96 * 128 * 8, 71), [1, 96, 128, 8]);
      const w = tf.tensor4d(seeded(3 * 3 * 128 * 8, 72), [3, 3, 128, 8]);
      const y = tf.conv2dTranspose(x, w, [1, 192, 256, 128], 2, [[0, 0], [1, 0], [1, 0], [0, 0]]);
      return tf.mean(tf.reshape(y, [-1, 4096]), 1);
    }, "backward_data,1,192,256,128");
    await tf.setBackend("wasm");
    const heapAfter = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
    assert.ok(
      heapAfter > heapBefore || heapBefore >= 64 << 20,
      `heap did not grow: ${heapBefore} → ${heapAfter}`,
    );
  },
});
