import { tf } from "../../../backends/tf.ts";
import { conv2dInputGradient, convGeometry } from "../../../backends/wasm/mod.ts";
import { assertClose, onBackend, seeded } from "./_helpers.ts";

type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];

interface Case {
  name: string;
  x: Shape4;
  filter: Shape4;
  stride: number;
  pad: Pad;
}

const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];

// The convs of pix2pixHD (conv7 after reflect pad, conv3 s2 p1, res-block conv3, discriminator conv4 s2/s1
// p2) and the other pads tfjs accepts.
const CONV_CASES: Case[] = [
  { name: "k7 s1 valid", x: [1, 12, 16, 5], filter: [7, 7, 5, 4], stride: 1, pad: "valid" },
  { name: "k7 s1 pad 3", x: [1, 12, 16, 5], filter: [7, 7, 5, 4], stride: 1, pad: 3 },
  { name: "k3 s1 same", x: [2, 12, 16, 5], filter: [3, 3, 5, 4], stride: 1, pad: "same" },
  { name: "k3 s2 pad 1", x: [2, 12, 16, 5], filter: [3, 3, 5, 4], stride: 2, pad: 1 },
  { name: "k3 s2 same", x: [1, 12, 16, 5], filter: [3, 3, 5, 4], stride: 2, pad: "same" },
  { name: "k3 s2 valid, odd size", x: [1, 13, 15, 5], filter: [3, 3, 5, 4], stride: 2, pad: "valid" },
  { name: "k4 s2 pad 2", x: [2, 12, 16, 5], filter: [4, 4, 5, 4], stride: 2, pad: explicit(2, 2, 2, 2) },
  { name: "k4 s2 pad 2, odd size", x: [1, 13, 11, 5], filter: [4, 4, 5, 4], stride: 2, pad: 2 },
  { name: "k4 s1 pad 2", x: [1, 12, 16, 5], filter: [4, 4, 5, 4], stride: 1, pad: explicit(2, 2, 2, 2) },
  { name: "k1 s2 valid", x: [1, 12, 16, 5], filter: [1, 1, 5, 4], stride: 2, pad: "valid" },
  {
    name: "k3 s3 asymmetric pad",
    x: [1, 14, 16, 5],
    filter: [3, 3, 5, 4],
    stride: 3,
    pad: explicit(0, 2, 1, 0),
  },
];

function tensors(c: Case): [tf.Tensor4D, tf.Tensor4D] {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return [tf.tensor4d(seeded(size(c.x), 1), c.x), tf.tensor4d(seeded(size(c.filter), 2), c.filter)];
}

/** y, dL/dx and dL/dw of L = Σ y ⊙ sin(index), on a backend. */
function convAndGradients(c: Case, transpose: boolean): tf.Tensor[] {
  const [x, w] = tensors(c);
  const out: Shape4 = [c.x[0], c.x[1] * c.stride, c.x[2] * c.stride, c.filter[2]];
  const f = (a: tf.Tensor, b: tf.Tensor) =>
    transpose
      ? tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, out, c.stride, c.pad as number)
      : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
  const y = f(x, w);
  const weights = tf.sin(tf.reshape(tf.range(0, y.size), y.shape));
  const [dx, dw] = tf.grads((a, b) => tf.sum(tf.mul(f(a, b), weights)))([x, w]);
  return [y, dx, dw];
}

async function compare(c: Case, transpose: boolean): Promise<void> {
  const cpu = await onBackend("cpu", () => convAndGradients(c, transpose));
  const wasm = await onBackend("wasm", () => convAndGradients(c, transpose));
  ["y", "dx", "dw"].forEach((what, i) => assertClose(wasm[i], cpu[i], 1e-4, `${c.name}: ${what}`));
}

for (const c of CONV_CASES) {
  Deno.test(`conv2d ${c.name}: y, dx and dw on wasm match cpu to 1e-4`, () => compare(c, false));
}

Deno.test("conv2dTranspose 3×3 s2 pad 1 to 2H×2W (the generator's upsampling): y, dx, dw match cpu", () =>
  compare({ name: "convT k3 s2 pad 1", x: [2, 6, 8, 5], filter: [3, 3, 4, 5], stride: 2, pad: 1 }, true));

Deno.test("conv2dInputGradient() gives the same result with the conv and matmul strategies", async () => {
  for (const c of CONV_CASES) {
    const dyOf = (x: tf.Tensor4D, w: tf.Tensor4D) => {
      const shape = tf.conv2d(x, w, c.stride, c.pad).shape;
      return tf.tensor4d(seeded(shape.reduce((a, b) => a * b, 1), 3), shape);
    };
    const [reference] = await onBackend("cpu", () => {
      const [x, w] = tensors(c);
      return [tf.conv2dTranspose(dyOf(x, w), w, c.x, c.stride, c.pad as number)];
    });
    const geometry = convGeometry("test", c.x, c.filter, {
      strides: c.stride,
      pad: c.pad,
      dataFormat: "NHWC",
    });
    const results = await onBackend("wasm", () => {
      const [x, w] = tensors(c);
      const dy = dyOf(x, w);
      return [conv2dInputGradient(dy, w, geometry, "conv"), conv2dInputGradient(dy, w, geometry, "matmul")];
    });
    assertClose(results[0], reference, 1e-4, `${c.name}: conv strategy`);
    assertClose(results[1], reference, 1e-4, `${c.name}: matmul strategy`);
  }
});
