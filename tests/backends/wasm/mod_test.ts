import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { BackendError } from "../../../kernel/errors.ts";
import { registerWasmTrainingKernels } from "../../../backends/wasm/mod.ts";
import { assertClose, onBackend, seeded } from "./_helpers.ts";

const OUR_KERNELS = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "Identity",
  "MirrorPadGrad",
  "Mean",
  "Sum",
  "MaxPoolGrad",
  "AvgPoolGrad",
];

Deno.test("registerWasmTrainingKernels() registers the conv gradients, a zero-copy Identity, float64 pixel sums and the pooling gradients on wasm", () => {
  const names = registerWasmTrainingKernels();
  assert.deepEqual(names, OUR_KERNELS);
  for (const name of names) assert.ok(tf.getKernel(name, "wasm"), `${name} must be registered for wasm`);
});

Deno.test("registerWasmTrainingKernels() is idempotent and leaves later overrides in place", () => {
  const before = registerWasmTrainingKernels().map((name) => tf.getKernel(name, "wasm"));
  const override = { ...before[1]!, kernelFunc: before[1]!.kernelFunc };
  tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel(override);
  try {
    assert.deepEqual(registerWasmTrainingKernels(), OUR_KERNELS);
    assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), before[0]);
    assert.equal(tf.getKernel("Conv2DBackpropInput", "wasm"), override);
  } finally {
    tf.unregisterKernel("Conv2DBackpropInput", "wasm");
    tf.registerKernel(before[1]!);
  }
});

Deno.test("a conv filter gradient runs on wasm (tfjs-backend-wasm alone has no Conv2DBackpropFilter)", async () => {
  const [dw] = await onBackend("wasm", () => {
    const x = tf.tensor4d(seeded(1 * 6 * 8 * 3, 1), [1, 6, 8, 3]);
    const w = tf.tensor4d(seeded(3 * 3 * 3 * 2, 2), [3, 3, 3, 2]);
    return [tf.grad((f) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, "same")))(w)];
  });
  assert.equal(dw.length, 3 * 3 * 3 * 2);
  assert.ok(dw.some((v) => v !== 0));
});

Deno.test("the wasm conv gradients reject NCHW with a one-line BackendError", async () => {
  assert.ok(await tf.setBackend("wasm"));
  const x = tf.zeros([1, 4, 4, 3]);
  const dy = tf.zeros([1, 4, 4, 2]);
  try {
    assert.throws(
      () =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
          strides: 1,
          pad: "same",
          dataFormat: "NCHW",
          filterShape: [3, 3, 3, 2],
        }),
      (e: unknown) =>
        e instanceof BackendError &&
        e.message === 'Cannot use backend "wasm": Conv2DBackpropFilter supports dataFormat "NHWC" only: ' +
            'current value is "NCHW"',
    );
  } finally {
    tf.dispose([x, dy]);
  }
});

/** PyTorch's ConvTranspose2d(k=3, stride=2, padding=1, output_padding=1) written out, NHWC. */
function torchConvTranspose(x: Float32Array, [n, h, w, cin]: number[], weight: Float32Array, cout: number) {
  // weight in tfjs layout [3, 3, cout, cin] = torch weight[cin, cout, p, q] transposed.
  const oh = 2 * h, ow = 2 * w;
  const out = new Float32Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let p = 0; p < 3; p++) {
          for (let q = 0; q < 3; q++) {
            const y = 2 * i - 1 + p, xx = 2 * j - 1 + q;
            if (y < 0 || y >= oh || xx < 0 || xx >= ow) continue;
            for (let o = 0; o < cout; o++) {
              let sum = 0;
              for (let c = 0; c < cin; c++) {
                sum += x[((b * h + i) * w + j) * cin + c] * weight[((p * 3 + q) * cout + o) * cin + c];
              }
              out[((b * oh + y) * ow + xx) * cout + o] += sum;
            }
          }
        }
      }
    }
  }
  return out;
}

Deno.test("conv2dTranspose(x, w, [N,2H,2W,C], 2, 1) is PyTorch's ConvTranspose2d(3, 2, 1, output_padding 1); 'same' is not", async () => {
  const shape = [1, 5, 7, 3];
  const x = seeded(5 * 7 * 3, 7);
  const w = seeded(3 * 3 * 4 * 3, 8);
  const expected = torchConvTranspose(x, shape, w, 4);
  const [pad1, same] = await onBackend("wasm", () => {
    const xt = tf.tensor4d(x, [1, 5, 7, 3]);
    const wt = tf.tensor4d(w, [3, 3, 4, 3]);
    return [
      tf.conv2dTranspose(xt, wt, [1, 10, 14, 4], 2, 1),
      tf.conv2dTranspose(xt, wt, [1, 10, 14, 4], 2, "same"),
    ];
  });
  assertClose(pad1, expected, 1e-5, "pad 1");
  assert.throws(() => assertClose(same, expected, 1e-2, "same"));
});

Deno.test("Identity on wasm shares data instead of copying, and frees it only with the last reference", async () => {
  await onBackend("wasm", () => []);
  const buffers = () => tf.backend().numDataIds();
  const before = buffers();
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  assert.equal(y.dataId, x.dataId);
  assert.equal(buffers(), before + 1, "the clone allocates no buffer of its own");
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
  assert.equal(buffers(), before);
});
