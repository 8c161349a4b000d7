import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { assertClose, onBackend, seeded } from "./_helpers.ts";

/** dx of a mirror pad for a seeded dy, through TensorFlow.js's gradient machinery. */
function padGradient(
  shape: [number, number, number, number],
  paddings: [number, number][],
  mode: "reflect" | "symmetric",
): () => tf.Tensor[] {
  return () => {
    const x = tf.tensor4d(seeded(shape.reduce((a, b) => a * b), 1), shape);
    const padded = tf.mirrorPad(x, paddings, mode);
    const dy = tf.tensor(seeded(padded.size, 2), padded.shape);
    return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, paddings, mode), dy)))(x)];
  };
}

for (const mode of ["reflect", "symmetric"] as const) {
  Deno.test(`MirrorPadGrad on wasm equals the folded gradient on cpu (${mode}, pixel paddings 3/1/0/2)`, async () => {
    const cases: [[number, number, number, number], [number, number][]][] = [
      [[1, 9, 8, 5], [[0, 0], [3, 3], [3, 3], [0, 0]]],
      [[2, 6, 7, 3], [[0, 0], [1, 1], [1, 1], [0, 0]]],
      [[1, 5, 6, 4], [[0, 0], [0, 2], [2, 0], [0, 0]]],
    ];
    for (const [shape, paddings] of cases) {
      const [expected] = await onBackend("cpu", padGradient(shape, paddings, mode));
      const [actual] = await onBackend("wasm", padGradient(shape, paddings, mode));
      assertClose(actual, expected, 1e-6, `${mode} ${shape} ${JSON.stringify(paddings)}`);
    }
  });
}

Deno.test("the wasm MirrorPad gradient runs as one MirrorPadGrad kernel; channel padding keeps the fold", async () => {
  await tf.setBackend("wasm");
  const names = async (paddings: [number, number][]) => {
    const profile = await tf.profile(() => void tf.dispose(padGradient([1, 6, 6, 2], paddings, "reflect")()));
    return profile.kernels.map((k) => k.name);
  };
  assert.ok((await names([[0, 0], [2, 2], [2, 2], [0, 0]])).includes("MirrorPadGrad"));
  const channelPadded = await names([[0, 0], [1, 1], [1, 1], [1, 1]]);
  assert.ok(!channelPadded.includes("MirrorPadGrad") && channelPadded.includes("Reverse"));
});
