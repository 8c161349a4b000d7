import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { DNNL } from "../../../backends/onednn/ffi.ts";
import type { ConvKind, ConvSpec } from "../../../backends/onednn/conv_desc.ts";
import { createConvVariant } from "../../../backends/onednn/conv_variant.ts";
import { TUNING_CALLS } from "../../../backends/onednn/conv_primitive.ts";
import {
  FILTER_CACHE_BUDGET_BYTES,
  FILTER_CACHE_MAX_FILTER_BYTES,
  FilterCache,
  filterCacheBytes,
  type FilterIdentity,
} from "../../../backends/onednn/filter_cache.ts";
import { assertClose, assertMatchesCpu, ctx, ONEDNN, seeded, seededTensor } from "./conv_helpers.ts";

/** Filter identities over a set of data ids, some of which can be marked freed. */
function identities() {
  const freed = new Set<object>();
  return {
    of: (id: object): FilterIdentity => ({ id, alive: (other) => !freed.has(other) }),
    free: (id: object) => freed.add(id),
  };
}

Deno.test("a filter gets a kept copy on its second call, is reused from its third, and other filters reuse a freed one's copy", () => {
  const { of, free } = identities();
  const cache = new FilterCache(1024);
  const [a, b] = [{}, {}];
  const start = filterCacheBytes();
  try {
    assert.equal(cache.place(of(a)), null, "first call: reordered into the workspace");
    const second = cache.place(of(a))!;
    assert.equal(second.reorder, true, "second call: reordered into a kept copy");
    assert.equal(filterCacheBytes(), start + 1024);
    cache.filled(second, of(a));
    const third = cache.place(of(a))!;
    assert.deepEqual(
      [third.reorder, third.pointer],
      [false, second.pointer],
      "third call: the copy as it is",
    );

    assert.equal(cache.place(of(b)), null, "a new filter starts in the workspace");
    free(a); // the tensor behind `a` was freed (an Adam step gave the variable new data)
    const reused = cache.place(of(b))!;
    assert.deepEqual([reused.reorder, reused.pointer], [true, second.pointer], "b takes a's copy");
    assert.equal(filterCacheBytes(), start + 1024, "no second copy");
  } finally {
    cache.dispose();
  }
  assert.equal(filterCacheBytes(), start, "dispose returns the bytes to the budget");
});

Deno.test("a copy being refilled holds nothing until the reorder is done", () => {
  const { of } = identities();
  const cache = new FilterCache(64);
  const a = {};
  try {
    cache.place(of(a));
    cache.place(of(a)); // reorder into a copy, never confirmed (as if the reorder threw)
    for (let call = 0; call < 3; call++) {
      const next = cache.place(of(a));
      assert.notEqual(next?.reorder, false, "an unconfirmed copy is never taken as holding the filter");
    }
  } finally {
    cache.dispose();
  }
});

Deno.test("filters over the size limit are never kept; past the budget the least recently used copy is overwritten", () => {
  const { of } = identities();
  const large = new FilterCache(FILTER_CACHE_MAX_FILTER_BYTES + 4);
  const a = {};
  large.place(of(a));
  assert.equal(large.place(of(a)), null);
  large.dispose();

  const each = FILTER_CACHE_MAX_FILTER_BYTES;
  const fit = Math.floor((FILTER_CACHE_BUDGET_BYTES - filterCacheBytes()) / each);
  const caches = [new FilterCache(each), new FilterCache(each)];
  try {
    const ids = Array.from({ length: fit + 1 }, () => ({}));
    const kept = ids.slice(0, fit).map((id, i) => {
      const cache = caches[i < fit - 1 ? 0 : 1];
      cache.place(of(id));
      const place = cache.place(of(id))!;
      cache.filled(place, of(id));
      return place;
    });
    assert.ok(filterCacheBytes() <= FILTER_CACHE_BUDGET_BYTES);
    const last = ids[fit];
    caches[0].place(of(last));
    const over = caches[0].place(of(last))!;
    assert.equal(over.reorder, true);
    assert.equal(over.pointer, kept[0].pointer, "the least recently used copy of that cache is overwritten");
    assert.ok(filterCacheBytes() <= FILTER_CACHE_BUDGET_BYTES, "the budget holds");
  } finally {
    caches.forEach((c) => c.dispose());
  }
});

function spec(kind: ConvKind): ConvSpec {
  return {
    kind,
    batch: 1,
    inHeight: 9,
    inWidth: 7,
    inChannels: 32,
    outHeight: 9,
    outWidth: 7,
    outChannels: 48,
    filterHeight: 3,
    filterWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: 1,
    padBottom: 1,
    padLeft: 1,
    padRight: 1,
    bias: false,
    activation: "linear",
    leakyreluAlpha: 0,
  };
}

for (const kind of ["forward", "backward_data"] as const) {
  Deno.test({
    name: `onednn ${kind}: a filter that comes back is not reordered again, a new tensor is`,
    ignore: !ONEDNN.ok,
    fn: () => {
      const s = spec(kind);
      const variant = createConvVariant(ctx(), s, DNNL.tag_any);
      const reference = createConvVariant(ctx(), s, DNNL.tag_hwio);
      try {
        assert.ok(variant.reordersWeights, `${variant.impl} uses the filter in place`);
        const x = seeded(kind === "forward" ? 9 * 7 * 32 : 9 * 7 * 48, 1);
        const w = seeded(3 * 3 * 32 * 48, 2);
        const size = kind === "forward" ? 9 * 7 * 48 : 9 * 7 * 32;
        const p = (a: Float32Array) => Deno.UnsafePointer.of(a);
        const run = (v: typeof variant, weights: Float32Array, filter?: FilterIdentity) => {
          const out = new Float32Array(size);
          v.execute([p(x), p(weights), p(out)], filter);
          return out;
        };
        const { of } = identities();
        const a = {};
        const expected = run(reference, w);
        for (let call = 0; call < 3; call++) assertClose(run(variant, w, of(a)), expected, `call ${call}`);
        // Same tensor, other data: impossible in TensorFlow.js, but it shows the third call's copy is reused.
        const changed = w.map((v) => -v);
        assertClose(run(variant, changed, of(a)), expected, "the kept copy");
        assertClose(run(variant, changed, of({})), run(reference, changed), "a new tensor");
        assertClose(run(variant, changed), run(reference, changed), "no identity: reordered");
      } finally {
        variant.dispose();
        reference.dispose();
      }
    },
  });
}

Deno.test({
  name: "onednn conv2d and conv2dTranspose with the same weights across calls, then updated ones, match cpu",
  ignore: !ONEDNN.ok,
  fn: async () => {
    await tf.setBackend("cpu");
    const weights = tf.variable(seededTensor([3, 3, 32, 48], 3));
    try {
      await assertMatchesCpu("repeated conv", () => {
        const x = seededTensor([1, 9, 7, 32], 4);
        const dy = seededTensor([1, 9, 7, 48], 5);
        const outputs: tf.Tensor[] = [];
        for (let step = 0; step < 2; step++) {
          for (let call = 0; call < TUNING_CALLS + 3; call++) {
            outputs.push(tf.conv2d(x, weights, 1, "same"));
            outputs.push(tf.conv2dTranspose(dy, weights as unknown as tf.Tensor4D, [1, 9, 7, 32], 1, "same"));
          }
          weights.assign(tf.neg(weights)); // a new tensor, as an Adam step makes
        }
        return outputs;
      });
    } finally {
      weights.dispose();
    }
  },
});
