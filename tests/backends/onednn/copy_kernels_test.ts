import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { MIN_COPY_ELEMENTS } from "../../../backends/onednn/copy_kernels.ts";
import { oneDnnInfo } from "../../../backends/onednn/mod.ts";
import { assertMatchesCpu, ONEDNN, seededTensor } from "./conv_helpers.ts";

const ignore = !ONEDNN.ok;

Deno.test({
  name: "Concat on oneDNN matches cpu along the channels, the rows and the batch, with an empty input",
  ignore,
  fn: async () => {
    // the discriminator's input: 36 label channels and the 3 image channels
    await assertMatchesCpu(
      "concat channels",
      () => tf.concat([seededTensor([1, 32, 64, 36], 1), seededTensor([1, 32, 64, 3], 2)], 3),
      "strided_copy,1x32x64x36",
    );
    await assertMatchesCpu(
      "concat rows",
      () => tf.concat([seededTensor([2, 20, 80, 9], 3), seededTensor([2, 7, 80, 9], 4)], 1),
      "strided_copy,2x7x80x9",
    );
    await assertMatchesCpu(
      "concat batch with an empty input",
      () =>
        tf.concat([
          seededTensor([1, 30, 40, 16], 5),
          tf.zeros([0, 30, 40, 16]),
          seededTensor([2, 30, 40, 16], 6),
        ], 0),
      "strided_copy,2x30x40x16",
    );
    await assertMatchesCpu(
      "concat, negative axis",
      () => tf.concat([seededTensor([1, 32, 64, 8], 7), seededTensor([1, 32, 64, 8], 8)], -1),
      "strided_copy,1x32x64x8",
    );
  },
});

Deno.test({
  name: "Slice on oneDNN matches cpu for channel and pixel windows; contiguous and small slices go back",
  ignore,
  fn: async () => {
    // the image's channels out of the discriminator's input gradient
    await assertMatchesCpu(
      "slice channels",
      () => tf.slice(seededTensor([1, 128, 128, 39], 1), [0, 0, 0, 36], [1, 128, 128, 3]),
      "strided_copy,1x128x128x3",
    );
    // a padding's gradient: the interior window
    await assertMatchesCpu(
      "slice interior",
      () => tf.slice(seededTensor([1, 66, 130, 8], 2), [0, 1, 1, 0], [1, 64, 128, 8]),
      "strided_copy,1x64x128x8",
    );
    await assertMatchesCpu(
      "slice with size -1",
      () => tf.slice(seededTensor([2, 80, 50, 20], 3), [1, 5, 0, 4], [-1, -1, 50, 12]),
      "strided_copy,1x75x50x12",
    );
    const before = oneDnnInfo().primitives.size;
    await assertMatchesCpu(
      "contiguous slice",
      () => tf.slice(seededTensor([4, 40, 50, 20], 4), [1, 0, 0, 0], [2, 40, 50, 20]),
    );
    await assertMatchesCpu(
      "small slice",
      () => tf.slice(seededTensor([1, 9, 9, 4], 5), [0, 1, 1, 1], [1, 7, 7, 2]),
    );
    assert.equal(oneDnnInfo().primitives.size, before, "no copy primitive for contiguous or small slices");
  },
});

Deno.test({
  name: "PadV2 on oneDNN matches cpu with zero and non-zero constants and asymmetric paddings",
  ignore,
  fn: async () => {
    await assertMatchesCpu(
      "pad zeros",
      () => tf.pad(seededTensor([1, 64, 128, 39], 1), [[0, 0], [1, 1], [1, 1], [0, 0]]),
      "strided_copy,1x64x128x39",
    );
    await assertMatchesCpu(
      "pad constant, asymmetric, channels too",
      () => tf.pad(seededTensor([2, 30, 41, 6], 2), [[0, 1], [2, 0], [0, 3], [1, 2]], 1.5),
      "strided_copy,2x30x41x6",
    );
  },
});

Deno.test({
  name: "copies of int32 tensors and of tensors below the size limit go to the wasm kernels",
  ignore,
  fn: async () => {
    await tf.setBackend("wasm");
    const before = oneDnnInfo().primitives.size;
    const ints = tf.tidy(() => {
      const a = tf.reshape(tf.range(0, MIN_COPY_ELEMENTS, 1, "int32"), [1, 128, 256, 1]);
      return tf.concat([a, a], 3);
    });
    const values = await ints.data();
    assert.equal(ints.dtype, "int32");
    assert.deepEqual([values[0], values[1], values[2], values[3]], [0, 0, 1, 1]);
    ints.dispose();
    const small = tf.concat([tf.ones([1, 8, 8, 2]), tf.zeros([1, 8, 8, 1])], 3);
    assert.deepEqual(Array.from((await small.data()).slice(0, 3)), [1, 1, 0]);
    small.dispose();
    assert.equal(oneDnnInfo().primitives.size, before);
  },
});

Deno.test({
  name: "a Concat of mismatched shapes on oneDNN is tfjs's clear error",
  ignore,
  fn: async () => {
    await tf.setBackend("wasm");
    assert.throws(
      () => tf.concat([tf.zeros([1, 64, 64, 4]), tf.zeros([1, 32, 64, 4])], 3),
      /Error in concat.*does not match/s,
    );
  },
});
