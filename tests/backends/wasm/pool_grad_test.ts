import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { maxPositions, poolGeometry } from "../../../backends/wasm/pool_grad.ts";
import { onBackend, seeded } from "./_helpers.ts";

type Pool = "max" | "avg";
type PoolCase = {
  shape: [number, number, number, number];
  filter: number | [number, number];
  stride: number | [number, number];
  pad: "valid" | "same" | number;
};

/** dx of a pooling for a seeded dy, through TensorFlow.js's gradient machinery. */
function poolGradientOf(pool: Pool, { shape, filter, stride, pad }: PoolCase, x0?: Float32Array) {
  return () => {
    const x = tf.tensor4d(x0 ?? seeded(shape.reduce((a, b) => a * b), 1), shape);
    const f = (t: tf.Tensor4D) =>
      pool === "max" ? tf.maxPool(t, filter, stride, pad) : tf.avgPool(t, filter, stride, pad);
    const y = f(x);
    const dy = tf.tensor(seeded(y.size, 2), y.shape);
    return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t as tf.Tensor4D), dy)))(x)];
  };
}

const CASES: PoolCase[] = [
  { shape: [1, 8, 10, 5], filter: 2, stride: 2, pad: "valid" }, // VGG19's pools
  { shape: [2, 9, 11, 3], filter: 2, stride: 3, pad: "valid" }, // disjoint, with values no window covers
  { shape: [2, 11, 9, 3], filter: 3, stride: 2, pad: "valid" }, // the input pyramid (padded beforehand)
  { shape: [1, 7, 9, 4], filter: 3, stride: 2, pad: "same" }, // overlapping windows, padded borders
  { shape: [1, 9, 6, 2], filter: [3, 2], stride: [1, 2], pad: 1 },
  { shape: [1, 5, 5, 3], filter: 5, stride: 1, pad: "valid" },
];

for (const pool of ["max", "avg"] as const) {
  Deno.test(`${pool === "max" ? "MaxPoolGrad" : "AvgPoolGrad"} on wasm equals the cpu backend's bit for bit`, async () => {
    await tf.setBackend("wasm");
    const kernels = (await tf.profile(() => void tf.dispose(poolGradientOf(pool, CASES[0])()))).kernels;
    assert.ok(kernels.some((k) => k.name === (pool === "max" ? "MaxPoolGrad" : "AvgPoolGrad")));
    for (const c of CASES) {
      const [expected] = await onBackend("cpu", poolGradientOf(pool, c));
      const [actual] = await onBackend("wasm", poolGradientOf(pool, c));
      assert.deepEqual(actual, expected, JSON.stringify(c));
    }
  });
}

Deno.test("MaxPoolGrad on wasm passes a tied window's gradient to its first largest value, as cpu does", async () => {
  // every window of a constant map ties; a -Infinity window passes nothing on
  const x = new Float32Array(48).fill(0.25);
  x.fill(-Infinity, 0, 12);
  for (const filter of [3, 2]) {
    const c: PoolCase = { shape: [1, 4, 6, 2], filter, stride: filter === 3 ? 1 : 2, pad: "same" };
    const [expected] = await onBackend("cpu", poolGradientOf("max", c, x));
    const [actual] = await onBackend("wasm", poolGradientOf("max", c, x));
    assert.deepEqual(actual, expected, `filter ${filter}`);
  }
  const g = poolGeometry([1, 4, 6, 2], { filterSize: 3, strides: 1, pad: "same" });
  const positions = maxPositions(new Float32Array(48).fill(-Infinity), g);
  assert.ok(positions.every((p) => p === -1), "no value exceeds -Infinity: no position");
});

Deno.test("the wasm pooling gradients refuse a dy of the wrong shape, naming both shapes", async () => {
  await tf.setBackend("wasm");
  const x = tf.zeros([1, 4, 4, 2]);
  const dy = tf.zeros([1, 3, 2, 2]);
  try {
    for (const kernelName of ["MaxPoolGrad", "AvgPoolGrad"]) {
      const inputs: tf.NamedTensorMap = kernelName === "MaxPoolGrad"
        ? { dy, input: x, output: dy }
        : { dy, input: x };
      assert.throws(
        () => tf.engine().runKernel(kernelName, inputs, { filterSize: 2, strides: 2, pad: "valid" }),
        new RegExp(`${kernelName}: dy has shape \\[1,3,2,2\\] but the pooling's output is \\[1,2,2,2\\]`),
      );
    }
  } finally {
    tf.dispose([x, dy]);
  }
});
