import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { enableOneDnnKernels, oneDnnInfo } from "../../../backends/onednn/mod.ts";
import {
  assertClose,
  assertMatchesCpu,
  CONV_CASES as CASES,
  type ConvCase as Case,
  ONEDNN,
  seeded,
  valuesOn,
} from "./conv_helpers.ts";

function filterOf(c: Case): tf.Tensor4D {
  const shape: [number, number, number, number] = [c.k, c.k, c.x[3], c.outC];
  return tf.tensor4d(seeded(shape.reduce((a, b) => a * b), 7 + c.k), shape);
}

function inputOf(c: Case): tf.Tensor4D {
  return tf.tensor4d(seeded(c.x.reduce((a, b) => a * b), 3 + c.x[1]), c.x);
}

function outputShape(c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    [c.k, c.k, c.x[3], c.outC],
    c.stride,
    c.dilation ?? 1,
    c.pad,
  );
  return info.outShape as [number, number, number, number];
}

for (const c of CASES) {
  Deno.test({
    name: `onednn Conv2D ${c.name} matches the cpu backend`,
    ignore: !ONEDNN.ok,
    fn: () =>
      assertMatchesCpu(c.name, () =>
        tf.engine().runKernel("Conv2D", { x: inputOf(c), filter: filterOf(c) }, {
          strides: c.stride,
          pad: c.pad,
          dataFormat: "NHWC",
          dilations: 1,
        }) as tf.Tensor, `forward,${c.x}`),
  });

  Deno.test({
    name: `onednn Conv2DBackpropInput ${c.name} matches the cpu backend`,
    ignore: !ONEDNN.ok,
    fn: () =>
      assertMatchesCpu(c.name, () => {
        const dyShape = outputShape(c);
        const dy = tf.tensor4d(seeded(dyShape.reduce((a, b) => a * b), 11), dyShape);
        return tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: filterOf(c) }, {
          strides: c.stride,
          pad: c.pad,
          dataFormat: "NHWC",
          inputShape: c.x,
        }) as tf.Tensor;
      }, `backward_data,${c.x}`),
  });

  Deno.test({
    name: `onednn Conv2DBackpropFilter ${c.name} matches the cpu backend`,
    ignore: !ONEDNN.ok,
    fn: () =>
      assertMatchesCpu(c.name, () => {
        const dyShape = outputShape(c);
        const dy = tf.tensor4d(seeded(dyShape.reduce((a, b) => a * b), 13), dyShape);
        return tf.engine().runKernel("Conv2DBackpropFilter", { x: inputOf(c), dy }, {
          strides: c.stride,
          pad: c.pad,
          dataFormat: "NHWC",
          filterShape: [c.k, c.k, c.x[3], c.outC],
        }) as tf.Tensor;
      }, `backward_weights,${c.x}`),
  });
}

Deno.test({
  name: "onednn Conv2D with dilation 2 matches the cpu backend",
  ignore: !ONEDNN.ok,
  fn: () =>
    assertMatchesCpu("dilated", () => {
      const x = tf.tensor4d(seeded(1 * 11 * 12 * 4, 5), [1, 11, 12, 4]);
      const w = tf.tensor4d(seeded(3 * 3 * 4 * 3, 6), [3, 3, 4, 3]);
      return tf.conv2d(x, w, 1, "same", "NHWC", 2);
    }, "forward,1,11,12,4"),
});

Deno.test({
  name: "onednn gradients of tf.conv2d (tf.grads) match the cpu backend and run on oneDNN",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await assertMatchesCpu("grads", () => {
      const x = tf.tensor4d(seeded(2 * 8 * 10 * 3, 21), [2, 8, 10, 3]);
      const w = tf.tensor4d(seeded(3 * 3 * 3 * 4, 22), [3, 3, 3, 4]);
      const r = tf.tensor4d(seeded(2 * 4 * 5 * 4, 23), [2, 4, 5, 4]);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same"), r));
      return tf.grads(f)([x, w]);
    });
    const kinds = [...oneDnnInfo().primitives.keys()].map((key) => key.split(",")[0]);
    for (const kind of ["forward", "backward_data", "backward_weights"]) {
      assert.ok(kinds.includes(kind), `no ${kind} primitive was used: ${kinds}`);
    }
  },
});

Deno.test({
  name: "onednn conv2dTranspose 3x3 s2 to 2Hx2W (pad same) and its gradients match the cpu backend",
  ignore: !ONEDNN.ok,
  fn: () =>
    assertMatchesCpu("transpose", () => {
      const x = tf.tensor4d(seeded(1 * 5 * 7 * 8, 31), [1, 5, 7, 8]);
      const w = tf.tensor4d(seeded(3 * 3 * 4 * 8, 32), [3, 3, 4, 8]); // [kh, kw, out, in]
      const r = tf.tensor4d(seeded(1 * 10 * 14 * 4, 33), [1, 10, 14, 4]);
      const up = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [1, 10, 14, 4], 2, "same");
      const y = up(x, w);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(up(a, b), r)))([x, w]);
      return [y, dx, dw];
    }),
});

/** PyTorch's ConvTranspose2d(k, stride 2, padding 1, output_padding 1) on NHWC data, tfjs filter [kh,kw,out,in]. */
function torchConvTranspose(
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  k: number,
  outC: number,
): Float32Array {
  const [, h, wd, inC] = xs;
  const [oh, ow] = [2 * h, 2 * wd];
  const out = new Float32Array(oh * ow * outC);
  for (let iy = 0; iy < h; iy++) {
    for (let ix = 0; ix < wd; ix++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const [oy, ox] = [iy * 2 - 1 + ky, ix * 2 - 1 + kx];
          if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
          for (let co = 0; co < outC; co++) {
            let acc = 0;
            for (let ci = 0; ci < inC; ci++) {
              acc += x[(iy * wd + ix) * inC + ci] * w[((ky * k + kx) * outC + co) * inC + ci];
            }
            out[(oy * ow + ox) * outC + co] += acc;
          }
        }
      }
    }
  }
  return out;
}

for (const [label, pad] of [["pads [1,0]", [[0, 0], [1, 0], [1, 0], [0, 0]]], ["pad 1", 1]] as const) {
  Deno.test({
    name: `onednn conv2dTranspose with ${label} equals PyTorch ConvTranspose2d(3, s2, p1, output_padding 1)`,
    ignore: !ONEDNN.ok,
    fn: async () => {
      const xs: [number, number, number, number] = [1, 4, 6, 3];
      const xv = seeded(4 * 6 * 3, 41);
      const wv = seeded(3 * 3 * 2 * 3, 42);
      const padding = pad as number | tf.backend_util.ExplicitPadding;
      const up = () =>
        tf.conv2dTranspose(tf.tensor4d(xv, xs), tf.tensor4d(wv, [3, 3, 2, 3]), [1, 8, 12, 2], 2, padding);
      await assertMatchesCpu("torch transpose", up, "backward_data,1,8,12,2");
      const [actual] = await valuesOn("wasm", up);
      assertClose(actual, torchConvTranspose(xv, xs, wv, 3, 2), "against PyTorch's formula", 1e-5);
    },
  });
}

Deno.test({
  name: "onednn filter gradient of an empty batch is all zeros, without calling oneDNN",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await tf.setBackend("wasm");
    enableOneDnnKernels();
    const before = tf.memory().numTensors;
    const dw = tf.tidy(() =>
      tf.engine().runKernel(
        "Conv2DBackpropFilter",
        { x: tf.zeros([0, 6, 6, 3]), dy: tf.zeros([0, 6, 6, 4]) },
        {
          strides: 1,
          pad: "same",
          dataFormat: "NHWC",
          filterShape: [3, 3, 3, 4],
        },
      ) as tf.Tensor
    );
    assert.deepEqual(dw.shape, [3, 3, 3, 4]);
    assert.ok((await dw.data()).every((v) => v === 0));
    dw.dispose();
    assert.equal(tf.memory().numTensors, before);
  },
});
