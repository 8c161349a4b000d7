import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { stackSamples } from "../../../plugins/data/loader.ts";

await tf.ready();

Deno.test("samples of different sizes cannot be stacked: the error names them and the fix", () => {
  const a = { name: "a", x: tf.zeros([1, 2, 2, 1]) }, b = { name: "b", x: tf.zeros([1, 3, 2, 1]) };
  assert.throws(() => stackSamples([a, b]), /Cannot batch samples a, b: "x" sizes differ \(2×2×1, 3×2×1\)/);
  tf.dispose([a.x, b.x]);
});
