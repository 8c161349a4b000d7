/**
 * Feature clusters: for each class, the K-means centres of its instances' encoded features, the styles
 * an instance can take at synthesis. Ours are JSON files (`clusters_010.json`, `010` = n_clusters):
 *
 * ```json
 * { "format": "pix2pixhd-deno-clusters/1", "feat_num": 3, "label_nc": 35, "n_clusters": 10,
 *   "seed": 0, "centres": { "24": [[0.12, -0.3, 0.5], …], "26": […] } }
 * ```
 *
 * `centres` maps a class id to `[k, feat_num]` numbers (float64, as scikit-learn gives them). JSON
 * keeps every value exactly, needs no reader, and a 35-class file is a few kB. The official
 * `features_clustered_010.npy` (a pickled dict) loads too, through `readClustersNpy`.
 *
 * @module
 */
import { join } from "node:path";
import { DataError } from "../../kernel/errors.ts";
import { writeFileAtomic } from "../../formats/atomic.ts";
import { loadClustersNpy } from "../../formats/clusters.ts";
import { toFloat32 } from "../../formats/ndarray.ts";

/** The format tag of our clusters files. */
export const CLUSTERS_FORMAT = "pix2pixhd-deno-clusters/1";

/** Per-class cluster centres and the model they belong to. */
export interface Clusters {
  /** Feature channels (the encoder's output_nc, official `feat_num`). */
  feat_num: number;
  /** Classes of the model (official `label_nc`). */
  label_nc: number;
  /** Clusters asked for per class (a class with fewer rows has fewer). */
  n_clusters: number;
  /** class id → centres `[k][feat_num]`; classes without instances are absent. */
  centres: Map<number, number[][]>;
}

/** What a clusters file must fit: the model's feature channels and classes. */
export interface ClustersFit {
  feat_num: number;
  label_nc: number;
}

/**
 * The default clusters file name for a number of clusters, as the official code names it
 * (`features_clustered_010.npy`) but ours: `clusters_010.json`.
 *
 * @param nClusters clusters per class
 * @returns the file name
 */
export function clustersFileName(nClusters: number): string {
  return `clusters_${String(nClusters).padStart(3, "0")}.json`;
}

/**
 * Checks that clusters are well-formed and belong to a model with these `feat_num` and `label_nc`.
 *
 * @param clusters the clusters
 * @param fit the model's feat_num and label_nc
 * @param file the clusters file, named in errors
 * @throws {DataError} naming both values when feat_num or label_nc differ, or the class and shape of
 *   a malformed centre list
 */
export function checkClusters(clusters: Clusters, fit: ClustersFit, file: string): void {
  if (clusters.feat_num !== fit.feat_num) {
    throw new DataError(
      file,
      `clusters have feat_num ${clusters.feat_num} but the model has feat_num ${fit.feat_num}: ` +
        `they come from another model; run encode_features for this one`,
    );
  }
  if (clusters.label_nc !== fit.label_nc) {
    throw new DataError(
      file,
      `clusters have label_nc ${clusters.label_nc} but the model has label_nc ${fit.label_nc}: ` +
        `they come from another model; run encode_features for this one`,
    );
  }
  for (const [label, centres] of clusters.centres) {
    if (!Number.isInteger(label) || label < 0 || label >= fit.label_nc) {
      throw new DataError(file, `clusters list class ${label}, outside 0…${fit.label_nc - 1} (label_nc)`);
    }
    const bad = centres.length === 0 ||
      centres.some((c) => c.length !== fit.feat_num || c.some((v) => !Number.isFinite(v)));
    if (bad) {
      throw new DataError(
        file,
        `class ${label} must have at least one centre of ${fit.feat_num} finite numbers (feat_num)`,
      );
    }
  }
}

/**
 * Encodes clusters as our JSON file.
 *
 * @param clusters the clusters
 * @param extra more metadata to store (seed, source checkpoint, image count)
 * @returns the file's text
 */
export function clustersToJson(clusters: Clusters, extra: Record<string, unknown> = {}): string {
  const centres: Record<string, number[][]> = {};
  for (const label of [...clusters.centres.keys()].sort((a, b) => a - b)) {
    centres[String(label)] = clusters.centres.get(label)!;
  }
  const { feat_num, label_nc, n_clusters } = clusters;
  return JSON.stringify({ format: CLUSTERS_FORMAT, feat_num, label_nc, n_clusters, ...extra, centres }) +
    "\n";
}

function positiveInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

/**
 * Decodes our JSON clusters file.
 *
 * @param text the file's text
 * @param file its path, named in errors
 * @returns the clusters
 * @throws {DataError} when it is not JSON, not our format, or lacks feat_num/label_nc/n_clusters/centres
 */
export function clustersFromJson(text: string, file: string): Clusters {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new DataError(file, `is not valid JSON (${(error as Error).message})`);
  }
  if (doc === null || typeof doc !== "object" || doc.format !== CLUSTERS_FORMAT) {
    throw new DataError(file, `is not a clusters file: "format" must be "${CLUSTERS_FORMAT}"`);
  }
  const { feat_num, label_nc, n_clusters, centres } = doc;
  if (!positiveInt(feat_num) || !positiveInt(label_nc) || !positiveInt(n_clusters)) {
    throw new DataError(file, `"feat_num", "label_nc" and "n_clusters" must be positive integers`);
  }
  if (centres === null || typeof centres !== "object" || Array.isArray(centres)) {
    throw new DataError(file, `"centres" must be an object: class id → list of centres`);
  }
  const map = new Map<number, number[][]>();
  for (const [key, list] of Object.entries(centres)) {
    if (!/^\d+$/.test(key) || !Array.isArray(list) || !list.every((c) => Array.isArray(c))) {
      throw new DataError(file, `"centres" entry "${key}" must map a class id to a list of centres`);
    }
    map.set(Number(key), list as number[][]);
  }
  const clusters: Clusters = { feat_num, label_nc, n_clusters, centres: map };
  checkClusters(clusters, { feat_num, label_nc }, file);
  return clusters;
}

/**
 * Writes clusters to a JSON file atomically, so an interrupted run never leaves half a file.
 *
 * @param path the file (e.g. `checkpoints/<name>/clusters_010.json`)
 * @param clusters the clusters
 * @param extra more metadata to store
 * @throws {DataError} when the file cannot be written (the previous one is then unchanged)
 */
export async function saveClusters(
  path: string,
  clusters: Clusters,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(clustersToJson(clusters, extra)));
}

/**
 * Loads a clusters file, ours (`.json`) or the official one (`features_clustered_010.npy`), and checks
 * it belongs to a model with these feat_num and label_nc. An official file has no metadata: its
 * feat_num is its centres' width, n_clusters the number in its name (else the largest k).
 *
 * @param path the file
 * @param fit the model's feat_num and label_nc
 * @returns the clusters
 * @throws {DataError} when the file cannot be read, is malformed, or comes from another model (naming
 *   both values)
 */
export async function loadClusters(path: string, fit: ClustersFit): Promise<Clusters> {
  let clusters: Clusters;
  if (path.toLowerCase().endsWith(".npy")) {
    const arrays = await loadClustersNpy(path);
    const centres = new Map<number, number[][]>();
    for (const [label, array] of arrays) {
      const [k, width] = array.shape;
      const values = array.data instanceof Float64Array ? array.data : toFloat32(array);
      centres.set(
        label,
        Array.from({ length: k }, (_, i) => Array.from(values.subarray(i * width, (i + 1) * width))),
      );
    }
    const named = /_(\d+)\.npy$/i.exec(path);
    const widths = [...arrays.values()].map((a) => a.shape[1]);
    clusters = {
      feat_num: widths[0] ?? fit.feat_num,
      label_nc: fit.label_nc,
      n_clusters: named ? Number(named[1]) : Math.max(1, ...[...centres.values()].map((c) => c.length)),
      centres,
    };
  } else {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "file not found: run encode_features first"
        : (error as Error).message;
      throw new DataError(path, `cannot be read (${reason})`);
    }
    clusters = clustersFromJson(text, path);
  }
  checkClusters(clusters, fit, path);
  return clusters;
}

/**
 * The clusters file of a model folder: the one of `nClusters` (`clusters_010.json` for 10), else
 * another `clusters_*.json`, else the official `features_clustered_<nClusters>.npy`, else another one.
 *
 * @param dir the model folder
 * @param nClusters the clusters per class wanted first (default 10, the official `--n_clusters`)
 * @returns the path, or null when there is none
 */
export function findClustersFile(dir: string, nClusters = 10): string | null {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort();
  } catch {
    return null;
  }
  const ours = names.filter((n) => /^clusters_\d+\.json$/.test(n));
  const official = names.filter((n) => /^features_clustered_\d+\.npy$/.test(n));
  const wanted = clustersFileName(nClusters);
  const wantedNpy = `features_clustered_${String(nClusters).padStart(3, "0")}.npy`;
  const pick = ours.includes(wanted)
    ? wanted
    : ours[0] ?? (official.includes(wantedNpy) ? wantedNpy : official[0]);
  return pick ? join(dir, pick) : null;
}
