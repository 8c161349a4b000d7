import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { disableOrtKernels, enableOrtKernels, loadOrt, ortInfo } from "../../../backends/ort/mod.ts";
import { assertClose, CONV_CASES, type ConvCase, seeded } from "../onednn/conv_helpers.ts";

const ORT = loadOrt();

const CASES: ConvCase[] = [
  ...CONV_CASES,
  { name: "3x3 dilation 2 same", x: [1, 11, 12, 4], k: 3, outC: 3, stride: 1, pad: "same", dilation: 2 },
  // few pixels, many channels: through the patches on TensorFlow.js's filter (conv_graphs.ts patchesPay)
  { name: "patches: 3x3 s1 same", x: [1, 4, 5, 6], k: 3, outC: 24, stride: 1, pad: "same" },
  { name: "patches: 3x3 s1 explicit pad 1, batch 2", x: [2, 3, 3, 4], k: 3, outC: 20, stride: 1, pad: 1 },
  { name: "patches: 3x3 s2 same", x: [1, 6, 7, 5], k: 3, outC: 16, stride: 2, pad: "same" },
  {
    name: "patches: 3x3 s1, twice as many pixels as channels",
    x: [1, 4, 8, 5],
    k: 3,
    outC: 16,
    stride: 1,
    pad: "same",
  },
  // strided input gradients (ConvTranspose on onnxruntime), the pads and strides past pix2pixHD's
  {
    name: "strided: 3x3 s2 explicit pad 1 (pix2pixHD G)",
    x: [1, 8, 12, 4],
    k: 3,
    outC: 6,
    stride: 2,
    pad: 1,
  },
  { name: "strided: 2x2 s2 valid", x: [2, 8, 6, 3], k: 2, outC: 4, stride: 2, pad: "valid" },
  { name: "strided: 5x5 s3 explicit pad 2", x: [1, 10, 11, 3], k: 5, outC: 4, stride: 3, pad: 2 },
  { name: "strided: 1x1 s2 valid", x: [1, 7, 8, 4], k: 1, outC: 5, stride: 2, pad: "valid" },
  { name: "strided: 3x3 s2 explicit pad 4", x: [1, 9, 10, 3], k: 3, outC: 4, stride: 2, pad: 4 },
  {
    name: "patches: 4x4 s1 asymmetric pads",
    x: [1, 3, 4, 3],
    k: 4,
    outC: 40,
    stride: 1,
    pad: [[0, 0], [2, 1], [1, 2], [0, 0]],
  },
];

const tensor = (shape: number[], seed: number) =>
  tf.tensor(seeded(shape.reduce((a, b) => a * b), seed), shape);

/** Forward and fused forward of one case, then both gradients (tfjs has none for dilated convolutions). */
function compute(c: ConvCase): tf.Tensor[] {
  const x = tensor(c.x, 3 + c.x[1]) as tf.Tensor4D;
  const w = tensor([c.k, c.k, c.x[3], c.outC], 7 + c.k) as tf.Tensor4D;
  const bias = tensor([c.outC], 11) as tf.Tensor1D;
  const conv = (a: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(a, f, c.stride, c.pad, "NHWC", c.dilation ?? 1);
  const y = conv(x, w);
  const fused = (["relu", "leakyrelu"] as const).map((activation) =>
    tf.fused.conv2d({
      x,
      filter: w,
      strides: c.stride,
      pad: c.pad,
      dilations: c.dilation ?? 1,
      bias,
      activation,
      leakyreluAlpha: 0.2,
    })
  );
  if (c.dilation) return [y, ...fused];
  const probe = tensor(y.shape, 13);
  const loss = (a: tf.Tensor, f: tf.Tensor) =>
    tf.sum(tf.mul(conv(a as tf.Tensor4D, f as tf.Tensor4D), probe));
  return [y, ...fused, ...tf.grads(loss)([x, w])];
}

async function valuesOn(backend: "cpu" | "wasm", fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  if (backend === "wasm") enableOrtKernels();
  const sessions = ortInfo().created;
  const tensors = tf.tidy(fn);
  const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(tensors);
  if (backend === "wasm") {
    disableOrtKernels();
    assert.ok(ortInfo().created > sessions, "the convolutions ran on onnxruntime");
  }
  return values;
}

for (const c of CASES) {
  Deno.test({
    name: `ort convolutions equal the cpu backend's: ${c.name}`,
    ignore: !ORT.ok,
    async fn() {
      const expected = await valuesOn("cpu", () => compute(c));
      const actual = await valuesOn("wasm", () => compute(c));
      const labels = [
        "conv2d",
        "fused bias+relu",
        "fused bias+leakyrelu",
        "input gradient",
        "filter gradient",
      ];
      assert.equal(actual.length, c.dilation ? 3 : 5);
      for (let i = 0; i < actual.length; i++) {
        assertClose(actual[i], expected[i], `${c.name}: ${labels[i]}`, 1e-5);
      }
    },
  });
}

Deno.test({
  name: "ort runs conv2dTranspose (pix2pixHD's upsampling: k3 s2, output padding 1) as the cpu backend does",
  ignore: !ORT.ok,
  async fn() {
    const run = () => {
      const x = tensor([1, 5, 7, 6], 1) as tf.Tensor4D;
      const w = tensor([3, 3, 4, 6], 2) as tf.Tensor4D; // [kh, kw, out, in]
      const padded = tf.conv2dTranspose(x, w, [1, 10, 14, 4], 2, "same");
      const probe = tensor([1, 10, 14, 4], 3);
      const [dx, dw] = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
        tf.sum(
          tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, f as tf.Tensor4D, [1, 10, 14, 4], 2, "same"), probe),
        )
      )([x, w]);
      return [padded, dx, dw];
    };
    const expected = await valuesOn("cpu", run);
    const actual = await valuesOn("wasm", run);
    for (let i = 0; i < 3; i++) assertClose(actual[i], expected[i], `conv2dTranspose ${i}`, 1e-5);
  },
});

Deno.test({
  name: "ort kernels keep one session per pass and geometry, and leak no tensors",
  ignore: !ORT.ok,
  async fn() {
    await tf.setBackend("wasm");
    enableOrtKernels();
    try {
      const x = tensor([1, 8, 8, 4], 1) as tf.Tensor4D;
      const w = tensor([3, 3, 4, 4], 2) as tf.Tensor4D;
      const step = () =>
        tf.tidy(() =>
          tf.grads((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w, 1, "same")))([x])[0].dataSync()
        );
      step();
      const { created } = ortInfo();
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(ortInfo().created, created, "no new sessions for the same geometry");
      assert.equal(tf.memory().numTensors, tensors);
      tf.dispose([x, w]);
    } finally {
      disableOrtKernels();
    }
  },
});

Deno.test({
  name: "ort keeps no permuted filter for a layer with up to twice as many pixels as channels",
  ignore: !ORT.ok,
  async fn() {
    await tf.setBackend("wasm");
    enableOrtKernels();
    try {
      const w = tensor([3, 3, 5, 16], 2) as tf.Tensor4D;
      const keptAfter = (rows: number, columns: number) => {
        tf.tidy(() => tf.conv2d(tensor([1, rows, columns, 5], 1) as tf.Tensor4D, w, 1, "same").dataSync());
        return ortInfo().filterBytes;
      };
      assert.equal(keptAfter(4, 8), 0, "32 pixels, 16 channels: through the patches");
      assert.equal(keptAfter(4, 9), 3 * 3 * 5 * 16 * 4, "36 pixels: the filter permuted and kept");
      w.dispose();
    } finally {
      disableOrtKernels();
    }
  },
});
