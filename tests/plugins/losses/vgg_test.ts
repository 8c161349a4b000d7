import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { CheckpointError } from "../../../kernel/errors.ts";
import type { NdArray } from "../../../formats/ndarray.ts";
import { randomVgg19StateDict, Vgg19Features } from "../../../plugins/losses/vgg19.ts";
import { vggLoss, vggLossPlugin } from "../../../plugins/losses/vgg_loss.ts";

await selectBackend("cpu");

/** A 1-channel VGG19 whose convs copy their input (centre tap 1; the first conv reads the red channel). */
function identityVgg(): Map<string, NdArray> {
  const sd = randomVgg19StateDict(0, [1, 1, 1, 1, 1]);
  for (const [name, array] of sd) {
    array.data = new Float32Array(array.data.length);
    if (name.endsWith(".weight")) array.data[4] = 1; // [0, 0, 1, 1]: centre of input channel 0
  }
  return sd;
}

/** relu then 2×2 max pools of a [h, w] map, as JS arrays. */
function pooled(map: number[][], times: number): number[][] {
  let m = map.map((row) => row.map((v) => Math.max(v, 0)));
  for (let t = 0; t < times; t++) {
    m = Array.from(
      { length: m.length / 2 },
      (_, i) =>
        Array.from(
          { length: m[0].length / 2 },
          (_, j) =>
            Math.max(m[2 * i][2 * j], m[2 * i][2 * j + 1], m[2 * i + 1][2 * j], m[2 * i + 1][2 * j + 1]),
        ),
    );
  }
  return m;
}

Deno.test("the VGG loss is λ·Σ w_k·L1 at relu1_1 … relu5_1 with w = 1/32 … 1", () => {
  const vgg = Vgg19Features.fromStateDict(identityVgg(), "identity.pth");
  const size = 32;
  const red = (seed: number) =>
    Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => Math.sin(seed * i + j)));
  const [a, b] = [red(1), red(2)];
  const image = (m: number[][]) =>
    tf.tensor4d(m.flatMap((row) => row.flatMap((v) => [v, 5, -5])), [1, size, size, 3]);
  const fake = image(a), real = image(b);
  const before = tf.memory().numTensors;
  const got = vggLoss(vgg, fake, real, 10);
  assert.equal(tf.memory().numTensors, before + 1);
  let expected = 0;
  [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1].forEach((w, k) => {
    const fa = pooled(a, k).flat(), fb = pooled(b, k).flat();
    expected += w * fa.reduce((s, v, i) => s + Math.abs(v - fb[i]), 0) / fa.length;
  });
  assert.ok(Math.abs(got.dataSync()[0] - 10 * expected) < 1e-4, `${got.dataSync()[0]} vs ${10 * expected}`);
  const bound = vggLossPlugin.create({ lambda_feat: 10 }, {} as never)(vgg, fake, real);
  assert.equal(bound.dataSync()[0], got.dataSync()[0], "the plugin's loss is vggLoss with λ bound");
  bound.dispose();
  const features = vgg.apply(fake);
  assert.deepEqual(features.map((f) => f.shape), [
    [1, 32, 32, 1],
    [1, 16, 16, 1],
    [1, 8, 8, 1],
    [1, 4, 4, 1],
    [1, 2, 2, 1],
  ]);
  tf.dispose([fake, real, got, ...features]);
  vgg.dispose();
});

Deno.test("random VGG19 weights have torchvision's names and shapes up to features.28", () => {
  const sd = randomVgg19StateDict(1);
  assert.deepEqual(sd.get("features.0.weight")!.shape, [64, 3, 3, 3]);
  assert.deepEqual(sd.get("features.2.weight")!.shape, [64, 64, 3, 3]);
  assert.deepEqual(sd.get("features.5.weight")!.shape, [128, 64, 3, 3]);
  assert.deepEqual(sd.get("features.19.weight")!.shape, [512, 256, 3, 3]);
  assert.deepEqual(sd.get("features.28.weight")!.shape, [512, 512, 3, 3]);
  assert.equal(sd.size, 26);
});

Deno.test("missing or wrong VGG19 weights say what is wrong and where to get them", async () => {
  await assert.rejects(
    Vgg19Features.load("/nonexistent/vgg19.pth"),
    (e: Error) =>
      e instanceof CheckpointError &&
      /VGG19 weights not found: download .*vgg19-dcbb9e9d\.pth/.test(e.message),
  );
  const sd = randomVgg19StateDict(0, [2, 2, 2, 2, 2]);
  sd.delete("features.21.bias");
  assert.throws(
    () => Vgg19Features.fromStateDict(sd, "v.pth"),
    /v\.pth: is not a torchvision VGG19 state_dict: features\.21\.weight\/bias missing/,
  );
  const bad = randomVgg19StateDict(0, [2, 2, 2, 2, 2]);
  bad.set("features.5.weight", { shape: [2, 3, 3, 3], dtype: "float32", data: new Float32Array(54) });
  assert.throws(
    () => Vgg19Features.fromStateDict(bad, "v.pth"),
    /features\.5\.weight has shape \[2, 3, 3, 3\] .* needs \[out, 2, 3, 3\]/,
  );
});

/** Calls of the named cpu kernels while `fn` runs. */
function countKernels(names: string[], fn: () => void): Map<string, number> {
  const counts = new Map(names.map((n) => [n, 0]));
  const originals = names.map((n) => tf.getKernel(n, "cpu")!);
  for (const config of originals) {
    tf.unregisterKernel(config.kernelName, "cpu");
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        counts.set(config.kernelName, counts.get(config.kernelName)! + 1);
        return config.kernelFunc(args);
      },
    });
  }
  try {
    fn();
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, "cpu");
      tf.registerKernel(config);
    }
  }
  return counts;
}

for (
  const [widths, inputGradients] of [
    // narrow layers: every input gradient is a transposed convolution
    [[4, 6, 8, 8, 8], { Conv2D: 0, Conv2DBackpropInput: 12 }],
    // from 16 input channels: a forward convolution with the adjoint filter (the first layer has 3)
    [[16, 24, 32, 32, 32], { Conv2D: 12, Conv2DBackpropInput: 0 }],
  ] as const
) {
  Deno.test(`VGG features under a gradient (widths ${widths}): one FusedConv2D per conv, tfjs's gradient for the image`, async () => {
    await selectBackend("cpu");
    const sd = randomVgg19StateDict(3, widths);
    for (const [name, array] of sd) {
      if (name.endsWith(".bias")) {
        array.data = Float32Array.from({ length: array.data.length }, (_, i) => 0.1 * Math.sin(i + 1));
      }
    }
    const vgg = Vgg19Features.fromStateDict(sd, "random.pth");
    const image = tf.randomUniform([1, 32, 32, 3], -1, 1, "float32", 4) as tf.Tensor4D;
    const weights = vgg.apply(image).map((f, k) => {
      const w = tf.randomNormal(f.shape, 0, 1, "float32", 10 + k);
      f.dispose();
      return w;
    });
    const loss = (features: tf.Tensor[]) =>
      tf.addN(features.map((f, k) => tf.sum(tf.mul(f, weights[k])))) as tf.Scalar;
    // tfjs's unfused path: conv, bias add and ReLU, with its own gradients
    const reference = (x: tf.Tensor) => {
      const outputs: tf.Tensor[] = [];
      let z = x as tf.Tensor4D;
      [[0], [2, 5], [7, 10], [12, 14, 16, 19], [21, 23, 25, 28]].forEach((convs, s) => {
        for (const index of convs) {
          if (s > 0 && index === convs[convs.length - 1]) z = tf.maxPool(z, 2, 2, "valid");
          const w = sd.get(`features.${index}.weight`)!, b = sd.get(`features.${index}.bias`)!;
          const filter = tf.transpose(tf.tensor4d(w.data as Float32Array, w.shape as never), [2, 3, 1, 0]);
          z = tf.relu(tf.add(tf.conv2d(z, filter as tf.Tensor4D, 1, 1), tf.tensor1d(b.data as Float32Array)));
        }
        outputs.push(z);
      });
      return loss(outputs);
    };
    const expected = tf.grad(reference)(image);
    let actual: tf.Tensor | null = null;
    const names = ["Relu", "FusedConv2D", "Conv2DBackpropFilter", "Conv2D", "Conv2DBackpropInput"];
    const counts = countKernels(names, () => {
      actual = tf.grad((x: tf.Tensor) => loss(vgg.apply(x as tf.Tensor4D)))(image);
    });
    assert.deepEqual(Object.fromEntries(counts), {
      Relu: 0,
      FusedConv2D: 13,
      Conv2DBackpropFilter: 0,
      // the first layer's input gradient is always a transposed convolution (3 channels)
      ...{ ...inputGradients, Conv2DBackpropInput: inputGradients.Conv2DBackpropInput + 1 },
    });
    const [a, e] = [await actual!.data() as Float32Array, await expected.data() as Float32Array];
    const worst = e.reduce((m, v, i) => Math.max(m, Math.abs(v - a[i])), 0);
    assert.ok(worst < 1e-5 * Math.max(...e.map(Math.abs)), `max difference ${worst}`);
    tf.dispose([image, expected, actual!, ...weights]);
    vgg.dispose();
  });
}
