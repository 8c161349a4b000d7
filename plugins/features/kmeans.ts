/**
 * Per-class K-means of encoded instance features, the clustering step of the official
 * `encode_features.py` (`KMeans(n_clusters=min(rows, n_clusters), random_state=0)`), on ml-kmeans.
 *
 * Like scikit-learn it seeds with k-means++ and keeps the best (lowest inertia) of `n_init` runs, every
 * run seeded from one `Rng`, so a seed gives the same centres on every machine. The centres are not
 * scikit-learn's to the bit (another random stream), but the same optimum on separable data.
 * One deliberate difference: when a class has no more distinct rows than clusters, each distinct row
 * is a centre once, exactly (scikit-learn and ml-kmeans would return some centres twice, which are
 * useless as styles).
 *
 * @module
 */
import { kmeans } from "ml-kmeans";
import { Rng } from "../../kernel/random.ts";

/** How the clustering runs. */
export interface KMeansOptions {
  /** Seeds every run (the official code uses random_state 0). */
  seed: number;
  /** Runs from different k-means++ seeds; the one with the lowest inertia wins (scikit-learn: 10). */
  n_init: number;
  /** Lloyd iterations per run at most (scikit-learn: 300). */
  max_iterations: number;
}

/** scikit-learn's KMeans defaults, with the official random_state. */
export const KMEANS_DEFAULTS: Readonly<KMeansOptions> = { seed: 0, n_init: 10, max_iterations: 300 };

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/**
 * The sum of squared distances from each row to its nearest centre (scikit-learn's `inertia_`).
 *
 * @param rows points
 * @param centres cluster centres
 * @returns the inertia
 */
export function inertia(rows: readonly number[][], centres: readonly number[][]): number {
  let total = 0;
  for (const row of rows) total += Math.min(...centres.map((c) => squaredDistance(row, c)));
  return total;
}

function distinctRows(rows: readonly number[][]): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  for (const row of rows) {
    const key = row.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([...row]);
  }
  return out;
}

/**
 * Clusters one class's feature vectors into at most `k` centres.
 *
 * @param rows the class's feature vectors (area column already dropped), at least one
 * @param k the number of clusters wanted (the official `min(rows, n_clusters)` is applied here)
 * @param options seed, runs and iterations (defaults: {@link KMEANS_DEFAULTS})
 * @returns `min(k, distinct rows)` centres, each a feature vector
 * @throws {RangeError} when there are no rows or `k` is not a positive integer
 */
export function kmeansCentres(
  rows: readonly number[][],
  k: number,
  options: Partial<KMeansOptions> = {},
): number[][] {
  const { seed, n_init: nInit, max_iterations: maxIterations } = { ...KMEANS_DEFAULTS, ...options };
  if (rows.length === 0) throw new RangeError("Cannot cluster features: no rows were given");
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`Cannot cluster features: k must be a positive integer: current value is ${k}`);
  }
  const distinct = distinctRows(rows);
  if (distinct.length <= k) return distinct;
  const rng = new Rng(seed);
  const data = rows.map((row) => [...row]);
  let best: number[][] = [];
  let bestInertia = Infinity;
  for (let run = 0; run < nInit; run++) {
    const result = kmeans(data, k, { initialization: "kmeans++", seed: rng.seed(), maxIterations });
    const value = inertia(data, result.centroids);
    if (value < bestInertia) [best, bestInertia] = [result.centroids, value];
  }
  return best;
}
