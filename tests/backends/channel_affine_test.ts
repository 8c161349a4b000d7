import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { CHANNEL_AFFINE, channelAffine } from "../../backends/channel_affine.ts";

Deno.test("channelAffine without a kernel is ((x - shift) - minus) * scale, squared if asked, leaking nothing", async () => {
  await tf.setBackend("cpu");
  assert.equal(tf.getKernel(CHANNEL_AFFINE, "cpu"), undefined, "the cpu backend has no kernel of ours");
  const before = tf.memory().numTensors;
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
  const shift = tf.tensor4d([1, 2], [1, 1, 1, 2]);
  const scale = tf.tensor4d([2, 3], [1, 1, 1, 2]);
  const minus = tf.tensor4d([0, 1, 0, 1, 0, 1, 0, 1], [1, 2, 2, 2]);
  const cases: [Parameters<typeof channelAffine>[1], number[]][] = [
    [{ shift }, [0, 0, 2, 2, 4, 4, 6, 6]],
    [{ shift, square: true }, [0, 0, 4, 4, 16, 16, 36, 36]],
    [{ shift, scale }, [0, 0, 4, 6, 8, 12, 12, 18]],
    [{ shift, minus, scale }, [0, -3, 4, 3, 8, 9, 12, 15]],
    [{ scale }, [2, 6, 6, 12, 10, 18, 14, 24]],
    [{}, [1, 2, 3, 4, 5, 6, 7, 8]],
  ];
  for (const [terms, expected] of cases) {
    const y = channelAffine(x, terms);
    assert.deepEqual(Array.from(await y.data()), expected, JSON.stringify(Object.keys(terms)));
    y.dispose();
  }
  tf.dispose([x, shift, scale, minus]);
  assert.equal(tf.memory().numTensors, before);
});
