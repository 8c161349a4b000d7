import assert from "node:assert/strict";
import type { tf } from "../../../backends/tf.ts";
import {
  checkShape,
  delegateTo,
  fusedConv2dCall,
  type KernelArgs,
} from "../../../backends/wasm/kernel_support.ts";
import { BackendError } from "../../../kernel/errors.ts";

const info = (shape: number[]) => ({ shape, dtype: "float32", dataId: {} }) as unknown as tf.TensorInfo;
const argsOf = (inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown> = {}) =>
  ({ inputs, attrs, backend: null }) as unknown as KernelArgs;

Deno.test("a backend's delegate runs the kernel registered before, or names itself, its library and the kernel", () => {
  const args = argsOf({ x: info([1, 2, 2, 1]) });
  const result = info([1]);
  assert.equal(delegateTo("ort", "onnxruntime")("Conv2D", () => result, args), result);
  assert.throws(
    () => delegateTo("ort", "onnxruntime")("Conv2D", undefined, args),
    (e: unknown) =>
      e instanceof BackendError && e.backend === "ort" &&
      /Conv2D on onnxruntime needs float32 NHWC/.test(e.message),
  );
  assert.throws(
    () => delegateTo("onednn", "oneDNN")("Concat", undefined, args),
    (e: unknown) => e instanceof BackendError && e.backend === "onednn" && /Concat on oneDNN/.test(e.message),
  );
});

Deno.test("a FusedConv2D call's bias counts as per channel only when it has one value per output channel", () => {
  const x = info([1, 4, 4, 3]);
  const filter = info([3, 3, 3, 8]);
  const perChannel = (bias?: tf.TensorInfo) =>
    fusedConv2dCall(argsOf(bias ? { x, filter, bias } : { x, filter }, { activation: "relu" }))
      .biasPerChannel;
  assert.equal(perChannel(), true);
  assert.equal(perChannel(info([8])), true);
  assert.equal(perChannel(info([1, 1, 1, 8])), true);
  assert.equal(perChannel(info([1])), false, "a scalar bias is broadcast, not per channel");
  assert.equal(perChannel(info([8, 1])), false, "eight values along the wrong axis");
  const call = fusedConv2dCall(argsOf({ x, filter, bias: info([8]) }, { activation: "relu" }));
  assert.deepEqual(call.tensors.map((t) => t.shape), [[1, 4, 4, 3], [3, 3, 3, 8], [8]]);
  assert.equal(call.attrs.activation, "relu");
  assert.equal(fusedConv2dCall(argsOf({ x, filter })).tensors.length, 2);
});

Deno.test("checkShape names the backend, the kernel, the input and both shapes", () => {
  checkShape("ort", "Conv2DBackpropInput", "dy", [1, 2, 2, 4], [1, 2, 2, 4]);
  assert.throws(
    () => checkShape("ort", "Conv2DBackpropInput", "dy", [1, 2, 2, 4], [1, 3, 2, 4]),
    /backend "ort": Conv2DBackpropInput: dy has shape \[1,2,2,4\] but its output is \[1,3,2,4\]/,
  );
  assert.throws(() => checkShape("onednn", "X", "dy", [4], [1, 4]), /dy has shape \[4\]/);
});
