import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import {
  ARENA_MIN_BLOCK,
  HeapArena,
  heapArenaOf,
  installHeapArena,
} from "../../../backends/wasm/heap_arena.ts";
import { selectBackend } from "../../../backends/select.ts";
import { ONEDNN } from "../onednn/conv_helpers.ts";

const MiB = 2 ** 20;

Deno.test("the heap arena reuses freed blocks first-fit by address and merges freed neighbours", () => {
  const arena = new HeapArena(0, 100 * MiB);
  const a = arena.alloc(30 * MiB)!, b = arena.alloc(20 * MiB)!, c = arena.alloc(30 * MiB)!;
  assert.deepEqual([a, b, c], [0, 30 * MiB, 50 * MiB]);
  assert.equal(arena.alloc(30 * MiB), null, "no run of 30 MiB is free");
  assert.ok(!arena.canFit(30 * MiB));
  arena.free(a);
  arena.free(b);
  assert.equal(arena.alloc(50 * MiB), 0, "the two freed neighbours merged into one run at the bottom");
  arena.free(c);
  assert.equal(arena.alloc(10 * MiB), 50 * MiB, "the lowest free run that fits");
  assert.equal(arena.extentBytes, 80 * MiB, "never past what was live at once");
  assert.equal(arena.free(123), false, "not a block of the arena");
  assert.equal(arena.usedBytes, 60 * MiB);
});

Deno.test({
  name: "on onednn, large tensors live in the heap arena and are freed back to it",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await selectBackend("onednn");
    const backend = tf.backend() as unknown as {
      wasm: { _malloc(n: number): number; _free(p: number): void };
      dataIdMap: { get(id: object): { memoryOffset: number } };
    };
    const arena = heapArenaOf(backend)!;
    assert.ok(arena, "selecting onednn installs the arena");
    assert.equal(installHeapArena(backend), arena, "once per backend");
    const used = arena.usedBytes;
    const x = tf.fill([1, 256, 256, 8], 2) as tf.Tensor4D; // 2 MiB
    const offset = backend.dataIdMap.get(x.dataId).memoryOffset;
    assert.ok(offset >= arena.start && offset < arena.end, "a 2 MiB tensor is in the arena");
    const y = tf.conv2d(x, tf.ones([3, 3, 8, 4]) as tf.Tensor4D, 1, "same");
    assert.equal((await y.data())[256 * 4 + 4], 2 * 9 * 8, "a convolution reads and writes it in place");
    tf.dispose([x, y]);
    assert.ok(arena.usedBytes <= used, "disposed tensors gave their blocks back");
    const small = tf.zeros([ARENA_MIN_BLOCK / 8]);
    const smallOffset = backend.dataIdMap.get(small.dataId).memoryOffset;
    assert.ok(smallOffset < arena.start || smallOffset >= arena.end, "small tensors stay outside");
    small.dispose();
  },
});
