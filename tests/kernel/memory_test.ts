import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { checkNoLeak, disposeAll, liveTensors } from "../../kernel/memory.ts";

await tf.setBackend("cpu");

Deno.test("disposeAll() frees tensors nested in arrays, maps and objects", () => {
  const before = liveTensors();
  const nested = { a: tf.ones([2]), b: [tf.zeros([1]), new Map([["c", tf.ones([3])]])], n: 3 };
  assert.equal(liveTensors(), before + 3);
  disposeAll(nested);
  assert.equal(liveTensors(), before);
});

Deno.test("checkNoLeak() passes a tidy step and names a leaking one", async () => {
  await checkNoLeak("tidy step", () => tf.tidy(() => void tf.add(tf.ones([2]), 1)));
  let leaked: tf.Tensor | undefined;
  await assert.rejects(
    checkNoLeak("leaky step", () => void (leaked = tf.ones([2]))),
    /leaky step leaked 1 tensor\(s\)/,
  );
  leaked?.dispose();
});
