/**
 * `encode_features` and `precompute_feature_maps` split over many processes (`--shard i/n`, or a
 * Kubernetes/Slurm array index). A shard of `encode_features` encodes its part of the training set
 * and writes every image's feature rows to a file (rows_file.ts); the merge reads all of them back in
 * the dataset's sorted order, the order one process encodes them in, and clusters them. Same rows in
 * the same order give the same K-means result, so the merged clusters file is byte for byte the one
 * an unsharded `encode_features` writes. A shard of `precompute_feature_maps` writes the feature
 * pictures of its part. Both skip the images a previous run of the shard finished.
 *
 * @module
 */
import { join } from "node:path";
import { DataError } from "../../kernel/errors.ts";
import type { KernelContext } from "../../kernel/plugin.ts";
import type { Shard } from "../../kernel/shard.ts";
import { ShardJob } from "../../kernel/shard_job.ts";
import type { DatasetSource } from "../data/source.ts";
import type { Clusters } from "./clusters.ts";
import { clusterRows, encodeImageRows, type FeatureEncoder } from "./encode_features.ts";
import { appendRows, type FeatureRows } from "./instance_rows.ts";
import type { KMeansOptions } from "./kmeans.ts";
import { featurePath, precomputeFeatureMaps } from "./precompute.ts";
import { loadRows, type RowsModel, rowsPath, saveRows } from "./rows_file.ts";

/**
 * The names of the images a full pass encodes, in its order (sorted, `max_dataset_size` applied).
 *
 * @param source the encoding source (serial, batchSize 1)
 * @returns the names
 */
export function encodedNames(source: DatasetSource): string[] {
  return source.entries.slice(0, source.size).map((entry) => entry.name);
}

/**
 * Encodes this shard's images that have no rows file yet and writes their rows, then the shard's
 * manifest (`<rows_dir>/shards/`).
 *
 * @param source the encoding source (its `keep` is set here)
 * @param encoder the trained encoder
 * @param options the shard, the rows folder, the model, progress
 * @param ctx the kernel context (backend, log)
 * @returns the job (inputs, skipped) and the manifest's path
 * @throws {DataError} for unreadable samples or files that cannot be written
 */
export async function encodeShard(
  source: DatasetSource,
  encoder: FeatureEncoder,
  options: { shard: Shard; rows_dir: string; model: RowsModel },
  ctx: KernelContext,
): Promise<{ job: ShardJob; manifest: string | null }> {
  const names = encodedNames(source);
  const job = new ShardJob("encode_features", names, options.shard, join(options.rows_dir, "shards"));
  ctx.log.info(job.describe(names.length));
  const pending = new Set<string>();
  for (const name of job.inputs) {
    if (!await job.done(name, [rowsPath(options.rows_dir, name)])) pending.add(name);
  }
  source.keep = (entry) => pending.has(entry.name);
  await Deno.mkdir(options.rows_dir, { recursive: true });
  const progress = ctx.log.progress("encode_features", pending.size);
  let start = performance.now();
  for await (const sample of source.samples(ctx)) {
    const name = String(sample.name);
    const rows = await encodeImageRows(sample, encoder, options.model);
    const file = rowsPath(options.rows_dir, name);
    await saveRows(file, name, rows, options.model);
    job.record(name, [file], (performance.now() - start) / 1000);
    progress.tick();
    start = performance.now();
  }
  progress.stop();
  return { job, manifest: await job.finish() };
}

/**
 * Clusters the rows every shard wrote, read in the order one process encodes the images.
 *
 * @param source the encoding source (only its file list is used: no image is read)
 * @param options the rows folder, the model, n_clusters and the K-means options
 * @returns the clusters and the number of images
 * @throws {DataError} naming the images whose rows are missing (their shards have not finished), a
 *   rows file from another model, or a dataset whose instances are all too small to cluster
 */
export async function mergeShards(
  source: DatasetSource,
  options: { rows_dir: string; model: RowsModel; n_clusters: number } & Partial<KMeansOptions>,
): Promise<{ clusters: Clusters; images: number }> {
  const names = encodedNames(source);
  const rows: FeatureRows = new Map();
  const missing: string[] = [];
  for (const name of names) {
    try {
      appendRows(rows, await loadRows(rowsPath(options.rows_dir, name), options.model));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      missing.push(name);
    }
  }
  if (missing.length > 0) {
    throw new DataError(
      options.rows_dir,
      `has no feature rows for ${missing.length} of ${names.length} image(s) (${
        missing.slice(0, 3).join(", ")
      }` +
        `${
          missing.length > 3 ? ", …" : ""
        }): run or rerun the encode_features shards first (a rerun does only what is missing)`,
    );
  }
  const { label_nc, feat_num } = options.model;
  const clusters = clusterRows(rows, { ...options, label_nc, feat_num });
  if (clusters.centres.size === 0) {
    throw new DataError(
      options.rows_dir,
      names.length === 0
        ? "has no samples to merge"
        : `no instance in ${names.length} image(s) is large enough to cluster (area > 0.5 of an h·w/32 block)`,
    );
  }
  return { clusters, images: names.length };
}

/**
 * Writes this shard's feature pictures (`precompute_feature_maps`) that do not exist yet, then the
 * shard's manifest (`<outDir>/shards/`).
 *
 * @param source the encoding source (its `keep` is set here)
 * @param encoder the trained (512p) encoder
 * @param options the shard, the `{phase}_feat` folder, the upsampling factor
 * @param ctx the kernel context (backend, log)
 * @returns the job (inputs, skipped) and the manifest's path
 * @throws {DataError} for unreadable samples or files that cannot be written
 */
export async function precomputeShard(
  source: DatasetSource,
  encoder: FeatureEncoder,
  options: { shard: Shard; outDir: string; scale: number },
  ctx: KernelContext,
): Promise<{ job: ShardJob; manifest: string | null }> {
  const entries = source.entries.slice(0, source.size);
  const job = new ShardJob(
    "precompute_feature_maps",
    entries.map((e) => e.name),
    options.shard,
    join(options.outDir, "shards"),
  );
  ctx.log.info(job.describe(entries.length));
  const pending = new Set<string>();
  for (const entry of entries) {
    if (!job.owns(entry.name)) continue;
    if (!await job.done(entry.name, [featurePath(entry.label, options.outDir)])) pending.add(entry.name);
  }
  source.keep = (entry) => pending.has(entry.name);
  let start = performance.now();
  await precomputeFeatureMaps(source.samples(ctx), encoder, {
    ...options,
    total: pending.size,
    log: ctx.log,
    onWritten: (name, file) => {
      job.record(name, [file], (performance.now() - start) / 1000);
      start = performance.now();
    },
  });
  return { job, manifest: await job.finish() };
}
