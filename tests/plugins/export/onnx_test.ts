import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { CheckpointError } from "../../../kernel/errors.ts";
import { toFloat32 } from "../../../formats/ndarray.ts";
import { loadPth } from "../../../formats/pth.ts";
import { Encoder } from "../../../plugins/networks/encoder.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { inferEncoder, inferGenerator } from "../../../plugins/networks/infer.ts";
import { LocalEnhancer } from "../../../plugins/networks/local_enhancer.ts";
import { encoderToOnnx, generatorToOnnx } from "../../../plugins/export/onnx.ts";
import { fixtureArray, FIXTURES } from "../../parity/_fixtures.ts";
import { declaredShapes, maxDiff, type Nchw, runOnnx, toNchw } from "./_onnx_run.ts";

await selectBackend("cpu");

const TOLERANCE = 1e-4;
const DESCRIPTION = { doc: "test", metadata: {} };

function generatorOnnx(net: GlobalGenerator | LocalEnhancer): Uint8Array {
  const sd = net.stateDict();
  return generatorToOnnx(inferGenerator(sd, "net"), sd, "net", DESCRIPTION);
}

/** Runs the ONNX model and tfjs on the same random input; returns the max abs difference. */
async function compareAt(
  model: Uint8Array,
  net: GlobalGenerator | LocalEnhancer,
  h: number,
  w: number,
  seed: number,
) {
  const x = tf.randomUniform([1, h, w, net.options.input_nc], -1, 1, "float32", seed) as tf.Tensor4D;
  const y = net.apply(x);
  const want = toNchw(y);
  const got = (await runOnnx(model, { input: toNchw(x) })).image;
  tf.dispose([x, y]);
  return maxDiff(got, want);
}

async function fixtureNchw(name: string): Promise<Nchw> {
  const a = await fixtureArray(name);
  return { data: toFloat32(a), dims: a.shape };
}

Deno.test("a global generator in ONNX computes tfjs's output at 48×80 and at 80×112 (dynamic height and width)", async () => {
  const before = tf.memory().numTensors;
  const net = new GlobalGenerator({
    input_nc: 6,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 2,
    seed: 3,
  });
  const model = generatorOnnx(net);
  for (const [h, w] of [[48, 80], [80, 112]]) {
    const error = await compareAt(model, net, h, w, h);
    assert.ok(error <= TOLERANCE, `${h}×${w}: max abs error ${error}`);
  }
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a local enhancer with two enhancers in ONNX computes tfjs's output at 80×112 and 48×80", async () => {
  const net = new LocalEnhancer({
    input_nc: 6,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    n_local_enhancers: 2,
    n_blocks_local: 1,
    seed: 4,
  });
  const model = generatorOnnx(net);
  for (const [h, w] of [[80, 112], [48, 80]]) {
    const error = await compareAt(model, net, h, w, w);
    assert.ok(error <= TOLERANCE, `${h}×${w}: max abs error ${error}`);
  }
  net.dispose();
});

Deno.test("batch norm (batch statistics) and zero or replicate padding in ONNX compute tfjs's output", async () => {
  for (const padding_type of ["zero", "replicate"] as const) {
    const net = new GlobalGenerator({
      input_nc: 5,
      ngf: 4,
      n_downsample_global: 2,
      n_blocks_global: 1,
      norm: "batch",
      padding_type,
      seed: 5,
    });
    const sd = net.stateDict();
    // replicate padding is not told apart from reflect by the weights: give the architecture as built
    const arch = { netG: "global" as const, options: { ...inferGenerator(sd, "net").options, padding_type } };
    const model = generatorToOnnx(arch, sd, "net", DESCRIPTION);
    const x = tf.randomUniform([2, 48, 80, 5], -1, 1, "float32", 6) as tf.Tensor4D;
    const y = net.apply(x);
    const error = maxDiff((await runOnnx(model, { input: toNchw(x) })).image, toNchw(y));
    assert.ok(error <= TOLERANCE, `${padding_type}: max abs error ${error}`);
    tf.dispose([x, y]);
    net.dispose();
  }
});

Deno.test("the official G_global.pth and G_local.pth in ONNX give PyTorch's own outputs", async () => {
  const input = await fixtureNchw("input_label.npy");
  for (const name of ["G_global", "G_local"]) {
    const sd = await loadPth(`${FIXTURES}${name}.pth`);
    const model = generatorToOnnx(inferGenerator(sd, name), sd, name, DESCRIPTION);
    const error = maxDiff((await runOnnx(model, { input })).image, await fixtureNchw(`${name}_out.npy`));
    assert.ok(error <= TOLERANCE, `${name}: max abs error ${error}`);
  }
});

Deno.test("the encoder in ONNX averages over instances as tfjs and as the official E_encoder.pth", async () => {
  const net = new Encoder({ nef: 4, n_downsample_E: 2, seed: 7 });
  const sd = net.stateDict();
  const model = encoderToOnnx(inferEncoder(sd, "E"), sd, "E", DESCRIPTION);
  const [h, w] = [48, 80];
  const ids = [0, 26001, 26002, 7, 33];
  const inst = Float32Array.from(
    { length: h * w },
    (_, i) => ids[(Math.floor(i / w / 13) + (i % w > 50 ? 2 : 0)) % 5],
  );
  const image = tf.randomUniform([1, h, w, 3], -1, 1, "float32", 8) as tf.Tensor4D;
  const instTensor = tf.tensor4d(inst, [1, h, w, 1]);
  const y = net.apply(image, instTensor);
  const got =
    (await runOnnx(model, { image: toNchw(image), inst: { data: inst, dims: [1, 1, h, w] } })).features;
  const error = maxDiff(got, toNchw(y));
  assert.ok(error <= TOLERANCE, `random encoder: max abs error ${error}`);
  tf.dispose([image, instTensor, y]);
  net.dispose();

  const official = await loadPth(`${FIXTURES}E_encoder.pth`);
  const instArray = await fixtureArray("inst.npy");
  const pooled = (await runOnnx(encoderToOnnx(inferEncoder(official, "E"), official, "E", DESCRIPTION), {
    image: await fixtureNchw("real_image.npy"),
    inst: { data: toFloat32(instArray), dims: instArray.shape },
  })).features;
  const officialError = maxDiff(pooled, await fixtureNchw("E_pooled_out.npy"));
  assert.ok(officialError <= TOLERANCE, `E_encoder.pth: max abs error ${officialError}`);
});

Deno.test("the exported generator declares NCHW float input channels with dynamic batch, height and width", async () => {
  const net = new LocalEnhancer({
    input_nc: 7,
    ngf: 2,
    n_downsample_global: 1,
    n_blocks_global: 1,
    n_blocks_local: 1,
  });
  const shapes = await declaredShapes(generatorOnnx(net));
  net.dispose();
  assert.deepEqual(shapes, {
    input: ["batch", 7, "height", "width"],
    image: ["batch", 3, "height", "width"],
  });
});

Deno.test("a checkpoint with a missing, misshapen or unexplained tensor is refused naming it", () => {
  const net = new GlobalGenerator({ input_nc: 4, ngf: 2, n_downsample_global: 1, n_blocks_global: 1 });
  const sd = net.stateDict();
  net.dispose();
  const arch = inferGenerator(sd, "g.pth");
  const extra = new Map(sd).set("model.99.weight", {
    shape: [1],
    dtype: "float32",
    data: new Float32Array(1),
  });
  assert.throws(
    () => generatorToOnnx(arch, extra, "g.pth", DESCRIPTION),
    (e: Error) => e instanceof CheckpointError && /does not use: model\.99\.weight/.test(e.message),
  );
  const missing = new Map(sd);
  missing.delete("model.4.bias");
  assert.throws(() => generatorToOnnx(arch, missing, "g.pth", DESCRIPTION), /model\.4\.bias is missing/);
  const misshapen = new Map(sd).set("model.4.bias", {
    shape: [3],
    dtype: "float32",
    data: new Float32Array(3),
  });
  assert.throws(
    () => generatorToOnnx(arch, misshapen, "g.pth", DESCRIPTION),
    /model\.4\.bias has shape \[3\]/,
  );
});

Deno.test("the model is IR 8 with opset 17 and uses ONNX's own reflect Pad, InstanceNormalization, ConvTranspose and AveragePool", () => {
  const net = new LocalEnhancer({
    input_nc: 5,
    ngf: 2,
    n_downsample_global: 1,
    n_blocks_global: 1,
    n_blocks_local: 1,
  });
  const bytes = generatorOnnx(net);
  net.dispose();
  const text = Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 8], "ModelProto.ir_version = 8 comes first");
  // ModelProto.opset_import (field 8) = OperatorSetIdProto { domain: "", version: 17 }
  assert.ok(text.includes("\x42\x04\x0a\x00\x10\x11"), 'opset_import { domain "", version 17 }');
  for (const op of ["Pad", "InstanceNormalization", "ConvTranspose", "AveragePool", "Tanh", "Relu", "Conv"]) {
    assert.ok(text.includes(`\x22${String.fromCharCode(op.length)}${op}`), `node op_type ${op}`);
  }
  for (const attribute of ["output_padding", "count_include_pad", "epsilon", "reflect"]) {
    assert.ok(text.includes(attribute), attribute);
  }
  assert.ok(!text.includes("BatchNormalization"), "instance norm generators have no batch norm");
});
