import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { CheckpointError } from "../../../kernel/errors.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { MultiscaleDiscriminator } from "../../../plugins/networks/multiscale_discriminator.ts";

await selectBackend("cpu");

const SMALL = { input_nc: 4, output_nc: 3, ngf: 4, n_downsample_global: 1, n_blocks_global: 1 };

function values(net: { params(): Map<string, tf.Variable> }, name: string): Float32Array {
  return net.params().get(name)!.dataSync() as Float32Array;
}

Deno.test("the same seed gives the same weights, another seed other weights", () => {
  const a = new GlobalGenerator({ ...SMALL, seed: 3 }), b = new GlobalGenerator({ ...SMALL, seed: 3 });
  const c = new GlobalGenerator({ ...SMALL, seed: 4 });
  for (const name of a.params().keys()) assert.deepEqual(values(a, name), values(b, name), name);
  assert.notDeepEqual(values(a, "model.1.weight"), values(c, "model.1.weight"));
  [a, b, c].forEach((n) => n.dispose());
});

Deno.test("weights are initialised N(0, 0.02) and biases U(±1/√fan_in), fan_in of a transposed conv being out·k·k", () => {
  const g = new GlobalGenerator({ input_nc: 36, ngf: 64, n_downsample_global: 1, n_blocks_global: 0 });
  const w = values(g, "model.1.weight"); // 7·7·36·64 values
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 1e-3 && Math.abs(std - 0.02) < 1e-3, `mean ${mean}, std ${std}`);
  const bound = (name: string) => Math.max(...Array.from(values(g, name), Math.abs));
  assert.ok(bound("model.1.bias") <= 1 / Math.sqrt(36 * 49));
  assert.ok(bound("model.1.bias") > 0.5 / Math.sqrt(36 * 49), "biases spread over their interval");
  // model.7 is ConvTranspose2d(128, 64, 3): fan_in = 64·9
  assert.ok(bound("model.7.bias") <= 1 / Math.sqrt(64 * 9) && bound("model.7.bias") > 1 / Math.sqrt(128 * 9));
  g.dispose();
});

Deno.test("batch-norm weights start N(1, 0.02) with zero biases and running statistics in the state_dict", () => {
  const g = new GlobalGenerator({ ...SMALL, ngf: 64, norm: "batch" });
  const gamma = values(g, "model.2.weight");
  assert.ok(gamma.every((v) => Math.abs(v - 1) < 0.1) && gamma.some((v) => v !== 1));
  assert.ok(values(g, "model.2.bias").every((v) => v === 0));
  const sd = g.stateDict();
  assert.deepEqual(sd.get("model.2.running_var")!.data, new Float32Array(64).fill(1));
  assert.deepEqual(sd.get("model.2.num_batches_tracked"), {
    shape: [],
    dtype: "int64",
    data: new BigInt64Array(1),
  });
  assert.ok(!g.params().has("model.2.running_mean"), "running statistics are not trained");
  g.dispose();
});

Deno.test("stateDict is in PyTorch layout and loads back into a fresh network giving the same output", () => {
  const a = new GlobalGenerator({ ...SMALL, seed: 1 }), b = new GlobalGenerator({ ...SMALL, seed: 2 });
  const sd = a.stateDict();
  assert.deepEqual(sd.get("model.1.weight")!.shape, [4, 4, 7, 7]); // [out, in, kh, kw]
  assert.deepEqual(sd.get("model.8.weight")!.shape, [8, 4, 3, 3]); // model.8 is transposed: [in, out, kh, kw]
  b.loadStateDict(sd, "a.pth");
  tf.tidy(() => {
    const x = tf.randomNormal([1, 8, 8, 4], 0, 1, "float32", 5) as tf.Tensor4D;
    assert.deepEqual(a.apply(x).dataSync(), b.apply(x).dataSync());
  });
  a.dispose();
  b.dispose();
});

Deno.test("loading a checkpoint of another shape names the tensor, both shapes, missing and unexpected names", () => {
  const g = new GlobalGenerator(SMALL);
  const other = new GlobalGenerator({ ...SMALL, input_nc: 5 }).stateDict();
  const before = values(g, "model.4.weight").slice();
  other.set("extra.weight", { shape: [1], dtype: "float32", data: new Float32Array(1) });
  other.delete("model.4.bias");
  other.set("model.4.weight", { ...other.get("model.4.weight")!, data: new Float32Array(8 * 4 * 9).fill(1) });
  assert.throws(() => g.loadStateDict(other, "other.pth"), (error: Error) => {
    assert.ok(error instanceof CheckpointError);
    assert.match(error.message, /^other\.pth: does not fit this network: /);
    assert.match(
      error.message,
      /model\.1\.weight has shape \[4, 5, 7, 7\] in the checkpoint but \[4, 4, 7, 7\] in this network/,
    );
    assert.match(error.message, /missing 1 tensor\(s\): model\.4\.bias/);
    assert.match(error.message, /unexpected 1 tensor\(s\): extra\.weight/);
    return true;
  });
  assert.deepEqual(values(g, "model.4.weight"), before, "nothing was loaded");
  g.dispose();
});

Deno.test("dispose frees every parameter", () => {
  const before = tf.memory().numTensors;
  const d = new MultiscaleDiscriminator({ input_nc: 4, ndf: 4, num_D: 2, norm: "batch" });
  assert.ok(tf.memory().numTensors > before);
  d.dispose();
  assert.equal(tf.memory().numTensors, before);
});
