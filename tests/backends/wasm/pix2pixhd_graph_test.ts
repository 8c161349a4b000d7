import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import "../../../backends/wasm/mod.ts";
import { assertClose, onBackend, seeded } from "./_helpers.ts";

// A small pix2pixHD in plain tfjs ops: global generator (reflect pad, conv7, instance norm, relu,
// conv3 s2, res-block, conv-transpose s2, conv7, tanh) and a two-scale NLayer discriminator (conv4 s2
// pad 2, leaky relu, instance norm, avg-pool 3 s2 p1 without the padding in the count), trained with
// LSGAN + feature matching. One gradient step on wasm must match cpu.

const PARAMS: Record<string, number[]> = {
  g0: [7, 7, 6, 4],
  g1: [3, 3, 4, 8],
  r0: [3, 3, 8, 8],
  r1: [3, 3, 8, 8],
  u0: [3, 3, 4, 8], // conv2dTranspose filter [kh, kw, out, in]
  g2: [7, 7, 4, 3],
  d0: [4, 4, 9, 4],
  d1: [4, 4, 4, 8],
  d2: [4, 4, 8, 8],
  d3: [4, 4, 8, 1],
  v0: [3, 3, 3, 4],
  v1: [3, 3, 4, 4],
};

/** Biases that feed an instance norm: their gradient is 0 up to float noise (compared separately). */
const NORMED_BIASES = ["g0_b", "g1_b", "r0_b", "r1_b", "u0_b", "d1_b", "d2_b"];

type Params = Record<string, tf.Tensor>;

function instanceNorm(x: tf.Tensor4D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
}

function conv(x: tf.Tensor4D, p: Params, name: string, stride: number, pad: number | "valid"): tf.Tensor4D {
  const w = p[name] as tf.Tensor4D;
  return tf.add(tf.conv2d(x, w, stride, pad), p[`${name}_b`]);
}

function generator(x: tf.Tensor4D, p: Params): tf.Tensor4D {
  const reflect = (t: tf.Tensor4D, n: number) =>
    tf.mirrorPad(t, [[0, 0], [n, n], [n, n], [0, 0]], "reflect") as tf.Tensor4D;
  let h = tf.relu(instanceNorm(conv(reflect(x, 3), p, "g0", 1, "valid")));
  h = tf.relu(instanceNorm(conv(h, p, "g1", 2, 1)));
  const r = tf.relu(instanceNorm(conv(reflect(h, 1), p, "r0", 1, "valid")));
  h = tf.add(h, instanceNorm(conv(reflect(r, 1), p, "r1", 1, "valid")));
  const [n, hh, ww] = h.shape;
  const up = tf.conv2dTranspose(h, p.u0 as tf.Tensor4D, [n, hh * 2, ww * 2, 4], 2, 1);
  h = tf.relu(instanceNorm(tf.add(up, p.u0_b)));
  return tf.tanh(conv(reflect(h, 3), p, "g2", 1, "valid"));
}

function discriminator(x: tf.Tensor4D, p: Params): tf.Tensor4D[] {
  const lrelu = (t: tf.Tensor4D) => tf.leakyRelu(t, 0.2);
  const f0 = lrelu(conv(x, p, "d0", 2, 2));
  const f1 = lrelu(instanceNorm(conv(f0, p, "d1", 2, 2)));
  const f2 = lrelu(instanceNorm(conv(f1, p, "d2", 1, 2)));
  return [f0, f1, f2, conv(f2, p, "d3", 1, 2)];
}

/** A VGG-like feature extractor: conv3 "same", relu, max-pool 2, conv3, relu. */
function vgg(x: tf.Tensor4D, p: Params): tf.Tensor4D {
  const h = tf.maxPool(tf.relu(conv(x, p, "v0", 1, 1)), 2, 2, "valid");
  return tf.relu(conv(h, p, "v1", 1, 1));
}

/** AvgPool2d(3, 2, padding 1, count_include_pad=False): tfjs counts only the pixels inside. */
function downsample(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 3, 2, 1);
}

function loss(p: Params, label: tf.Tensor4D, real: tf.Tensor4D): tf.Scalar {
  const fake = generator(label, p);
  let total = tf.scalar(0);
  let fakeIn = tf.concat([label, fake], 3);
  let realIn = tf.concat([label, real], 3);
  for (let scale = 0; scale < 2; scale++) {
    const fakeOut = discriminator(fakeIn, p);
    const realOut = discriminator(realIn, p);
    total = tf.add(total, tf.mean(tf.squaredDifference(fakeOut[3], 1)));
    for (let j = 0; j < 3; j++) {
      total = tf.add(total, tf.mul(tf.mean(tf.abs(tf.sub(fakeOut[j], realOut[j]))), 10));
    }
    fakeIn = downsample(fakeIn);
    realIn = downsample(realIn);
  }
  return tf.add(total, tf.mean(tf.abs(tf.sub(vgg(fake, p), vgg(real, p)))));
}

Deno.test("a pix2pixHD-like G+D gradient step on wasm matches cpu to 1e-4", async () => {
  const label = seeded(1 * 16 * 24 * 6, 101);
  const real = seeded(1 * 16 * 24 * 3, 102);
  const names = Object.keys(PARAMS);
  const run = (backend: string) =>
    onBackend(backend, () => {
      const p: Params = {};
      names.forEach((name, i) => {
        const shape = PARAMS[name];
        p[name] = tf.mul(tf.tensor(seeded(tf.util.sizeFromShape(shape), i + 1), shape), 0.4);
        const outChannels = name === "u0" ? shape[2] : shape[3];
        p[`${name}_b`] = tf.tensor1d(seeded(outChannels, i + 50));
      });
      const keys = Object.keys(p);
      const l = tf.tensor4d(label, [1, 16, 24, 6]);
      const r = tf.tensor4d(real, [1, 16, 24, 3]);
      const grads = tf.grads((...xs: tf.Tensor[]) => {
        const q: Params = {};
        keys.forEach((k, i) => (q[k] = xs[i]));
        return loss(q, l, r);
      })(keys.map((k) => p[k]));
      const value = loss(p, l, r);
      tf.dispose([l, r, ...Object.values(p)]);
      return [value, ...grads];
    });
  const cpu = await run("cpu");
  const wasm = await run("wasm");
  assert.equal(wasm.length, cpu.length);
  assertClose(wasm[0], cpu[0], 1e-5, "loss");
  const keys = names.flatMap((name) => [name, `${name}_b`]);
  const scale = Math.max(...cpu.slice(1).map((g) => Math.max(...g.map(Math.abs))));
  keys.forEach((key, i) => {
    if (!NORMED_BIASES.includes(key)) return assertClose(wasm[i + 1], cpu[i + 1], 1e-4, `d loss / d ${key}`);
    for (const g of [wasm[i + 1], cpu[i + 1]]) {
      assert.ok(Math.max(...g.map(Math.abs)) <= 1e-4 * scale, `d loss / d ${key} should be ~0`);
    }
  });
});

Deno.test("tf.avgPool(x, 3, 2, 1) leaves out the padding like AvgPool2d(count_include_pad=False)", async () => {
  for (const backend of ["cpu", "wasm"]) {
    const [pooled] = await onBackend(backend, () => [downsample(tf.ones([1, 6, 7, 2]) as tf.Tensor4D)]);
    assert.equal(pooled.length, 3 * 4 * 2);
    assert.ok(pooled.every((v) => Math.abs(v - 1) < 1e-6), `${backend}: border averages must stay 1`);
  }
});
