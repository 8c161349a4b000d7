import assert from "node:assert/strict";
import { BackendError } from "../../../kernel/errors.ts";
import { loadOnnxRuntime, probeOnnxRuntime } from "../../../plugins/inference/onnx_runtime.ts";

const failing = () => Promise.reject(new Error("cannot open onnxruntime_binding.node\nmore detail"));

Deno.test("loadOnnxRuntime() loads the pinned onnxruntime-node", async () => {
  const ort = await loadOnnxRuntime();
  assert.equal(typeof ort.InferenceSession.create, "function");
  assert.deepEqual(await probeOnnxRuntime(), { loads: true, detail: "onnxruntime-node 1.30.0" });
});

Deno.test("a native library that does not load is a BackendError naming the runtime, the platform and --runtime tfjs", async () => {
  await assert.rejects(() => loadOnnxRuntime(failing), (error: Error) => {
    assert.ok(error instanceof BackendError);
    assert.equal(
      error.message,
      `Cannot use backend "onnxruntime": the onnxruntime runtime's native library (npm onnxruntime-node) ` +
        `does not load on ${Deno.build.os}-${Deno.build.arch}: cannot open onnxruntime_binding.node; ` +
        `pass --runtime tfjs (the default) to run the generator on TensorFlow.js instead`,
    );
    return true;
  });
  const probe = await probeOnnxRuntime(failing);
  assert.equal(probe.loads, false);
  assert.match(probe.detail, /--runtime tfjs/);
});
