import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { openDnnl } from "../../../backends/onednn/ffi.ts";
import {
  disableOneDnnKernels,
  enableOneDnnKernels,
  loadOneDnn,
  oneDnnInfo,
  setOneDnnThreads,
} from "../../../backends/onednn/mod.ts";
import { assertMatchesCpu, ONEDNN, seeded } from "./conv_helpers.ts";

Deno.test({
  name: "openDnnl on a missing library says how to install oneDNN instead of throwing",
  ignore: Deno.permissions.querySync({ name: "ffi" }).state !== "granted",
  fn: () => {
    const result = openDnnl("libdnnl_does_not_exist.so.2");
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : "", /libdnnl_does_not_exist\.so\.2.*apt-get install libdnnl2/);
  },
});

Deno.test("loadOneDnn never throws and reports a 2.x version or a reason", () => {
  const status = loadOneDnn();
  if (status.ok) {
    assert.match(status.version, /^2\.\d+\.\d+$/);
    assert.ok(status.threads >= 1);
    assert.deepEqual(status.kernels, [
      "Conv2D",
      "FusedConv2D",
      "Conv2DBackpropInput",
      "Conv2DBackpropFilter",
      "MaxPoolGrad",
      "AvgPoolGrad",
      "Mean",
      "Sum",
      "LeakyRelu",
      "LeakyReluGrad",
      "Tanh",
      "Concat",
      "Slice",
      "PadV2",
      "ChannelAffine",
    ]);
  } else {
    assert.ok(status.reason.length > 0);
  }
});

Deno.test({
  name: "enableOneDnnKernels replaces the wasm conv kernels and disableOneDnnKernels restores them",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await tf.setBackend("wasm");
    disableOneDnnKernels();
    const original = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
    const names = enableOneDnnKernels();
    assert.deepEqual(names, ONEDNN.ok ? ONEDNN.kernels : []);
    assert.notEqual(tf.getKernel("Conv2D", "wasm")!.kernelFunc, original);
    assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"), "the wasm backend now has a filter gradient");
    assert.deepEqual(enableOneDnnKernels(), names, "enabling twice is harmless");
    assert.deepEqual(disableOneDnnKernels(), names);
    assert.equal(tf.getKernel("Conv2D", "wasm")!.kernelFunc, original);
    assert.deepEqual(disableOneDnnKernels(), []);
  },
});

Deno.test({
  name: "onednn Conv2DBackpropInput with a dy of the wrong shape fails with a one-line error",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await tf.setBackend("wasm");
    enableOneDnnKernels();
    const before = tf.memory().numTensors;
    const dy = tf.tensor4d(seeded(1 * 3 * 3 * 2, 1), [1, 3, 3, 2]);
    const filter = tf.tensor4d(seeded(3 * 3 * 4 * 2, 2), [3, 3, 4, 2]);
    assert.throws(
      () =>
        tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, {
          strides: 1,
          pad: "same",
          dataFormat: "NHWC",
          inputShape: [1, 5, 5, 4],
        }),
      /Conv2DBackpropInput: dy has shape \[1,3,3,2\] but its output is \[1,5,5,2\]/,
    );
    tf.dispose([dy, filter]);
    assert.equal(tf.memory().numTensors, before);
  },
});

Deno.test({
  name: "setOneDnnThreads changes the thread count, rebuilds primitives and keeps results right",
  ignore: !ONEDNN.ok,
  fn: async () => {
    const original = ONEDNN.ok ? ONEDNN.threads : 1;
    assert.throws(() => setOneDnnThreads(0), RangeError);
    try {
      assert.equal(setOneDnnThreads(1), 1);
      assert.equal(oneDnnInfo().primitives.size, 0, "cached primitives are freed");
      const status = loadOneDnn();
      assert.equal(status.ok ? status.threads : 0, 1);
      await assertMatchesCpu("1 thread", () => {
        const x = tf.tensor4d(seeded(1 * 9 * 9 * 8, 91), [1, 9, 9, 8]);
        return tf.conv2d(x, tf.tensor4d(seeded(3 * 3 * 8 * 8, 92), [3, 3, 8, 8]), 1, 1);
      }, "forward,1,9,9,8");
    } finally {
      assert.equal(setOneDnnThreads(original), original);
    }
  },
});
