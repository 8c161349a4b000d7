import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { OptionsError } from "../../../kernel/errors.ts";
import { disposeAll } from "../../../kernel/memory.ts";
import { openModelFolder } from "../../../plugins/inference/model_folder.ts";
import { openGenerator } from "../../../plugins/inference/generator_file.ts";
import { releaseOnnxGenerators } from "../../../plugins/inference/onnx_generator.ts";
import { Synthesizer } from "../../../plugins/inference/synthesize.ts";
import { maxAbsDiff } from "./_compare.ts";

await selectBackend("wasm");

const ROOT = new URL("../../../", import.meta.url).pathname;
const FIXTURES = join(ROOT, "tests/fixtures/pytorch-parity/");
const SCENE = {
  name: "frankfurt_000000_000576",
  label: join(ROOT, "datasets/cityscapes/test_label/frankfurt_000000_000576_gtFine_labelIds.png"),
  inst: join(ROOT, "datasets/cityscapes/test_inst/frankfurt_000000_000576_gtFine_instanceIds.png"),
};

Deno.test("the shipped weights (with instance-wise features) synthesize on onnxruntime the image tfjs makes (≤ 1e-4), with no tensor left behind", async () => {
  const model = await openModelFolder(join(ROOT, "weights/label2city_256p"), 256);
  const tfjs = await model.synthesizer(1);
  const onnx = await (await openModelFolder(join(ROOT, "weights/label2city_256p"), 256, {
    runtime: "onnxruntime",
    intra_op_threads: 2,
  })).synthesizer(1);
  const sample = await tfjs.prepare(SCENE);
  assert.equal((sample.input as tf.Tensor4D).shape[3], 39, "35 labels + boundary + 3 features");
  const want = tfjs.generate(sample);
  const got = await onnx.generateAsync(sample);
  assert.deepEqual(got.shape, [1, 128, 256, 3]);
  const error = await maxAbsDiff(got, want);
  assert.ok(error <= 1e-4, `max abs difference ${error}`);
  tf.dispose([want, got]);
  const before = tf.memory().numTensors;
  const again = await onnx.generateAsync(sample); // the session is made: the second run shows any leak
  again.dispose();
  const { image } = await onnx.synthesize(SCENE);
  image.dispose();
  assert.equal(tf.memory().numTensors, before);
  disposeAll(sample);
  await releaseOnnxGenerators(onnx.generator);
  onnx.generator.net.dispose();
  model.generator.net.dispose();
});

Deno.test("a local enhancer synthesizes on onnxruntime the image tfjs makes (≤ 1e-4)", async () => {
  const generator = await openGenerator(`${FIXTURES}G_local.pth`);
  const options = { label_nc: 5, resize_or_crop: "none" as const };
  const tfjs = new Synthesizer(generator, options);
  const onnx = new Synthesizer(generator, { ...options, runtime: "onnxruntime" });
  const entry = { name: "fixture", label: `${FIXTURES}label.png`, inst: `${FIXTURES}inst.png` };
  const want = await tfjs.synthesize(entry);
  const got = await onnx.synthesize(entry);
  assert.deepEqual(got.image.shape, [1, 32, 64, 3]);
  const error = await maxAbsDiff(got.image, want.image);
  assert.ok(error <= 1e-4, `max abs difference ${error}`);
  tf.dispose([want.image, got.image]);
  await releaseOnnxGenerators(generator);
  generator.net.dispose();
});

Deno.test("generate() on an onnxruntime synthesizer throws naming generateAsync; an unknown runtime is an OptionsError", async () => {
  const generator = await openGenerator(`${FIXTURES}G_global.pth`);
  const synth = new Synthesizer(generator, { label_nc: 5, resize_or_crop: "none", runtime: "onnxruntime" });
  const sample = await synth.prepare({
    name: "x",
    label: `${FIXTURES}label.png`,
    inst: `${FIXTURES}inst.png`,
  });
  assert.throws(() => synth.generate(sample), {
    name: "TypeError",
    message: /runtime "onnxruntime".*await synthesizer\.generateAsync\(sample\)/,
  });
  disposeAll(sample);
  assert.throws(
    // @ts-expect-error: not a runtime
    () => new Synthesizer(generator, { label_nc: 5, runtime: "torch" }),
    (error: Error) =>
      error instanceof OptionsError &&
      error.message ===
        `Cannot configure synth: "runtime" must be one of "tfjs", "onnxruntime": current value is "torch"`,
  );
  generator.net.dispose();
});
