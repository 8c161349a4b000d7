import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { reflectPad, replicatePad, zeroPad } from "../../../plugins/networks/_layers/pad.ts";
import { downsample } from "../../../plugins/networks/_layers/pool.ts";
import { batchNorm, instanceNorm } from "../../../plugins/networks/_layers/norm.ts";
import { convTranspose2d } from "../../../plugins/networks/_layers/conv.ts";
import { Module } from "../../../plugins/networks/_module.ts";

await selectBackend("cpu");

/** Source index of padded index i for a side of n with padding p. */
const reflectIndex = (i: number, n: number, p: number) => {
  const j = i - p;
  return j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
};
const replicateIndex = (i: number, n: number, p: number) => Math.min(n - 1, Math.max(0, i - p));

/** Brute-force padding of a [1, h, w, 1] array, and its adjoint. */
function bruteForce(
  index: (i: number, n: number, p: number) => number,
  x: number[],
  h: number,
  w: number,
  p: number,
) {
  const H = h + 2 * p, W = w + 2 * p;
  const padded = new Float64Array(H * W);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) padded[i * W + j] = x[index(i, h, p) * w + index(j, w, p)];
  }
  const adjoint = (dy: ArrayLike<number>) => {
    const dx = new Float64Array(h * w);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) dx[index(i, h, p) * w + index(j, w, p)] += dy[i * W + j];
    }
    return dx;
  };
  return { padded, adjoint };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `element ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

for (
  const [name, fn, index] of [["reflect", reflectPad, reflectIndex], [
    "replicate",
    replicatePad,
    replicateIndex,
  ]] as const
) {
  Deno.test(`${name} padding matches PyTorch's values and its gradient is the exact adjoint`, () => {
    const h = 4, w = 5, p = 3;
    const values = Array.from({ length: h * w }, (_, i) => Math.sin(i + 1));
    const ref = bruteForce(index, values, h, w, p);
    const weights = Array.from({ length: (h + 2 * p) * (w + 2 * p) }, (_, i) => Math.cos(3 * i));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor4d(values, [1, h, w, 1]);
      close(fn(x, p).dataSync(), ref.padded);
      const dy = tf.tensor4d(weights, [1, h + 2 * p, w + 2 * p, 1]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fn(t as tf.Tensor4D, p), dy)))(x);
      close(grad.dataSync(), ref.adjoint(weights), 1e-4);
    });
    assert.equal(tf.memory().numTensors, before);
  });
}

Deno.test("reflection padding refuses an input not larger than the padding, as PyTorch does", () => {
  const x = tf.zeros([1, 3, 8, 1]) as tf.Tensor4D;
  assert.throws(() => reflectPad(x, 3), /reflection padding of 3 needs an input larger than 3×3, got 8×3/);
  x.dispose();
});

Deno.test("zero padding adds zeros on every side", () => {
  tf.tidy(() => {
    const y = zeroPad(tf.ones([1, 1, 1, 1]) as tf.Tensor4D, 1);
    assert.deepEqual(Array.from(y.dataSync()), [0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });
});

Deno.test("downsample averages 3×3 windows with stride 2 without counting the padding", () => {
  const h = 5, w = 6;
  const values = Array.from({ length: h * w }, (_, i) => (i * 7) % 11);
  const expected: number[] = [];
  for (let oi = 0; oi < 3; oi++) {
    for (let oj = 0; oj < 3; oj++) {
      let sum = 0, count = 0;
      for (let i = 2 * oi - 1; i <= 2 * oi + 1; i++) {
        for (let j = 2 * oj - 1; j <= 2 * oj + 1; j++) {
          if (i >= 0 && i < h && j >= 0 && j < w) [sum, count] = [sum + values[i * w + j], count + 1];
        }
      }
      expected.push(sum / count);
    }
  }
  tf.tidy(() => {
    const y = downsample(tf.tensor4d(values, [1, h, w, 1]));
    assert.deepEqual(y.shape, [1, 3, 3, 1]);
    close(y.dataSync(), expected);
    close(downsample(tf.ones([1, 4, 4, 2]) as tf.Tensor4D).dataSync(), new Array(8).fill(1));
  });
});

Deno.test("instance norm gives every sample and channel zero mean and unit biased variance", () => {
  tf.tidy(() => {
    const x = tf.add(
      tf.mul(tf.randomNormal([2, 5, 6, 3], 0, 1, "float32", 7), tf.tensor1d([1, 4, 9])),
      3,
    ) as tf.Tensor4D;
    const { mean, variance } = tf.moments(instanceNorm(x), [1, 2]);
    close(mean.dataSync(), new Array(6).fill(0), 1e-5);
    close(variance.dataSync(), new Array(6).fill(1), 1e-3);
  });
});

Deno.test("instance norm holds at most two temporaries of its input's size at once", async () => {
  const x = tf.randomNormal([1, 32, 64, 8], 3, 2, "float32", 5) as tf.Tensor4D;
  const bytes = x.size * 4;
  const before = tf.memory().numBytes;
  const profile = await tf.profile(() => instanceNorm(x).dispose());
  // the centred input beside its square, then beside the output (plus per-channel statistics);
  // tf.moments held three (a copy of the input, the centred input, its square)
  assert.ok(
    profile.peakBytes - before <= 2 * bytes + 1024,
    `peak ${(profile.peakBytes - before) / bytes} inputs' worth beyond the input`,
  );
  assert.equal(tf.memory().numBytes, before);
  x.dispose();
});

Deno.test("batch norm uses batch statistics and updates its running statistics only in training mode", () => {
  const module = new Module(0);
  const layer = batchNorm(2)(module, "bn");
  const x = tf.tensor4d([1, 10, 3, 20, 5, 30, 7, 40], [2, 2, 1, 2]);
  tf.tidy(() => {
    const { mean, variance } = tf.moments(layer.apply(x), [0, 1, 2]);
    const gamma = module.params().get("bn.weight")!.dataSync();
    close(mean.dataSync(), [0, 0]);
    close(variance.dataSync(), [gamma[0] ** 2, gamma[1] ** 2], 1e-3);
  });
  const buffers = module.buffers();
  // channel 0: mean 4, unbiased var 20/3; channel 1: mean 25, unbiased var 500/3
  close(buffers.get("bn.running_mean")!.dataSync(), [0.4, 2.5]);
  close(buffers.get("bn.running_var")!.dataSync(), [0.9 + 2 / 3, 0.9 + 50 / 3], 1e-4);
  assert.equal(buffers.get("bn.num_batches_tracked")!.dataSync()[0], 1);
  module.training = false;
  tf.dispose(layer.apply(x));
  assert.equal(buffers.get("bn.num_batches_tracked")!.dataSync()[0], 1);
  x.dispose();
  module.dispose();
});

Deno.test("a transposed conv's output side is (n - 1)·stride - 2·padding + kernel + output_padding", () => {
  const module = new Module(0);
  const up = convTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 })(module, "up");
  const plain = convTranspose2d(4, 2, 4, { stride: 2, padding: 1 })(module, "plain");
  tf.tidy(() => {
    const x = tf.zeros([1, 5, 7, 4]) as tf.Tensor4D;
    assert.deepEqual(up.apply(x).shape, [1, 10, 14, 2]);
    assert.deepEqual(plain.apply(x).shape, [1, 10, 14, 2]);
  });
  module.dispose();
});
