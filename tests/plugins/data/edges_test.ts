import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { readImageFile } from "../../../plugins/data/decode.ts";
import { boundaryMap } from "../../../plugins/data/edges.ts";
import { toInstanceIds } from "../../../plugins/data/maps.ts";
import { idsToTensor } from "../../../plugins/data/sample_tensors.ts";
import { PARITY } from "./helpers.ts";
import { nchwToNhwc, readNpyFile } from "./npy.ts";

await tf.ready();

Deno.test("the boundary map of inst.png equals the official get_edges output edge_map.npy", async () => {
  const before = tf.memory().numTensors;
  const inst = idsToTensor(toInstanceIds(await readImageFile(join(PARITY, "inst.png")), "inst.png"));
  const edge = boundaryMap(inst);
  const want = nchwToNhwc(await readNpyFile(join(PARITY, "edge_map.npy")));
  assert.equal(edge.dtype, "float32");
  assert.deepEqual(edge.shape, [1, 32, 64, 1]);
  assert.deepEqual(Array.from(await edge.data()), Array.from(want));
  tf.dispose([inst, edge]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("both pixels of a differing horizontal or vertical pair are marked, diagonals are not", async () => {
  const ids = tf.tensor4d(
    [
      [0, 0, 0, 0],
      [0, 5, 0, 0],
      [0, 0, 0, 0],
    ].flat(),
    [1, 3, 4, 1],
    "int32",
  );
  const edge = boundaryMap(ids);
  assert.deepEqual(
    Array.from(await edge.data()),
    [
      [0, 1, 0, 0],
      [1, 1, 1, 0],
      [0, 1, 0, 0],
    ].flat(),
  );
  const one = tf.tensor4d([7], [1, 1, 1, 1], "int32");
  const none = boundaryMap(one);
  assert.deepEqual(Array.from(await none.data()), [0]);
  tf.dispose([ids, edge, one, none]);
  assert.throws(() => boundaryMap(tf.zeros([1, 2, 2, 3]) as tf.Tensor4D), /must be \[N, H, W, 1\]/);
});
