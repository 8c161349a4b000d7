import assert from "node:assert/strict";
import { Rng } from "../../../kernel/random.ts";
import { inertia, kmeansCentres } from "../../../plugins/features/kmeans.ts";

/** `n` points around each of `centres`, spread ±0.01. */
function blobs(centres: number[][], n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return centres.flatMap((c) => Array.from({ length: n }, () => c.map((v) => v + (rng.next() - 0.5) * 0.02)));
}

const sortRows = (rows: number[][]) => [...rows].sort((a, b) => a[0] - b[0] || a[1] - b[1]);

Deno.test("kmeansCentres() finds well-separated clusters' means", () => {
  const truth = [[-0.8, 0.1, 0.3], [0.5, 0.5, -0.5], [0.1, -0.9, 0.9]];
  const rows = blobs(truth, 20, 1);
  const centres = sortRows(kmeansCentres(rows, 3, { seed: 0 }));
  const means = sortRows(truth.map((_, c) => {
    const mine = rows.slice(c * 20, c * 20 + 20);
    return [0, 1, 2].map((k) => mine.reduce((s, r) => s + r[k], 0) / 20);
  }));
  centres.forEach((c, i) => c.forEach((v, k) => assert.ok(Math.abs(v - means[i][k]) < 1e-12)));
});

Deno.test("kmeansCentres() is deterministic under a seed", () => {
  const rows = blobs([[0, 0, 0], [0.1, 0.1, 0.1], [0.2, 0, 0.1], [0.05, 0.2, 0]], 15, 2);
  const a = kmeansCentres(rows, 5, { seed: 3 });
  assert.deepEqual(kmeansCentres(rows, 5, { seed: 3 }), a);
  assert.equal(a.length, 5);
});

Deno.test("kmeansCentres() keeps the best of n_init runs (never worse inertia than one run)", () => {
  const rows = blobs([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]], 6, 4);
  for (let seed = 0; seed < 5; seed++) {
    const many = inertia(rows, kmeansCentres(rows, 5, { seed, n_init: 10 }));
    const one = inertia(rows, kmeansCentres(rows, 5, { seed, n_init: 1 }));
    assert.ok(many <= one + 1e-12);
  }
});

Deno.test("kmeansCentres() with k ≥ rows returns each distinct row once (duplicates do not crash)", () => {
  assert.deepEqual(kmeansCentres([[1, 2], [3, 4]], 10), [[1, 2], [3, 4]]);
  assert.deepEqual(kmeansCentres([[1, 2], [1, 2], [1, 2], [5, 5]], 3), [[1, 2], [5, 5]]);
  const dup = [...Array(8).fill([0.5, 0.5]), [0, 0], [1, 1], [0.9, 1]];
  assert.equal(kmeansCentres(dup, 2, { seed: 0 }).length, 2);
});

Deno.test("kmeansCentres() rejects no rows and a bad k", () => {
  assert.throws(() => kmeansCentres([], 3), /no rows were given/);
  assert.throws(() => kmeansCentres([[1]], 0), /k must be a positive integer: current value is 0/);
});
