import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { BackendError } from "../../../kernel/errors.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../../../plugins/networks/local_enhancer.ts";
import {
  OnnxGenerator,
  onnxGeneratorFor,
  releaseOnnxGenerators,
} from "../../../plugins/inference/onnx_generator.ts";
import { openGenerator } from "../../../plugins/inference/generator_file.ts";
import { maxAbsDiff } from "./_compare.ts";

/** A global generator with 6 input channels, small enough to export in milliseconds. */
const tinyGlobal = () =>
  new GlobalGenerator({ input_nc: 6, ngf: 2, n_downsample_global: 1, n_blocks_global: 1, seed: 1 });

await selectBackend("cpu");

const FIXTURES = new URL("../../fixtures/pytorch-parity/", import.meta.url).pathname;

Deno.test("OnnxGenerator runs a local enhancer with two enhancers on NHWC tensors as tfjs does (≤ 1e-4), leaving only its output", async () => {
  const net = new LocalEnhancer({
    input_nc: 6,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    n_local_enhancers: 2,
    n_blocks_local: 1,
    seed: 4,
  });
  const onnx = await OnnxGenerator.open(net, { threads: 1, file: "local" });
  assert.equal(onnx.inputChannels, 6);
  for (const [h, w] of [[32, 48], [48, 80]]) {
    const x = tf.randomUniform([1, h, w, 6], -1, 1, "float32", h) as tf.Tensor4D;
    const want = net.apply(x);
    const before = tf.memory().numTensors;
    const got = await onnx.apply(x);
    assert.equal(tf.memory().numTensors, before + 1, "apply leaves only its output");
    assert.deepEqual(got.shape, [1, h, w, 3]);
    const error = await maxAbsDiff(got, want);
    assert.ok(error <= 1e-4, `${h}×${w}: max abs difference ${error}`);
    tf.dispose([x, want, got]);
  }
  await onnx.release();
  net.dispose();
});

Deno.test("OnnxGenerator names the channels it takes when the input has others", async () => {
  const net = tinyGlobal();
  const onnx = await OnnxGenerator.open(net, { threads: 1, file: "g" });
  const x = tf.zeros([1, 8, 8, 5]) as tf.Tensor4D;
  await assert.rejects(() => onnx.apply(x), { name: "RangeError", message: /takes 6 input channels, not 5/ });
  x.dispose();
  await onnx.release();
  net.dispose();
});

Deno.test("OnnxGenerator.open says how to fall back to tfjs when onnxruntime-node does not load", async () => {
  const net = tinyGlobal();
  const importer = () => Promise.reject(new Error("no onnxruntime_binding.node for this platform"));
  await assert.rejects(
    () => OnnxGenerator.open(net, { threads: 1, file: "g", importer }),
    (error: Error) =>
      error instanceof BackendError && /"onnxruntime"/.test(error.message) &&
      /no onnxruntime_binding\.node/.test(error.message) && /--runtime tfjs/.test(error.message),
  );
  net.dispose();
});

Deno.test("onnxGeneratorFor makes one session per opened generator and thread count; releaseOnnxGenerators frees them", async () => {
  const generator = await openGenerator(`${FIXTURES}G_local.pth`);
  const first = await onnxGeneratorFor(generator, 1);
  assert.equal(await onnxGeneratorFor(generator, 1), first, "the session is made once");
  const two = await onnxGeneratorFor(generator, 2);
  assert.notEqual(two, first);
  assert.equal(two.threads, 2);
  await releaseOnnxGenerators(generator);
  assert.notEqual(await onnxGeneratorFor(generator, 1), first, "released: a new one is made");
  await releaseOnnxGenerators(generator);
  await releaseOnnxGenerators(generator); // nothing left: nothing to do
  generator.net.dispose();
});
