/**
 * The official `encode_features.py` as a function: run a trained encoder over every training image,
 * collect each instance's feature row (see instance_rows.ts), then cluster each class's rows with
 * area > 0.5 into `min(rows, n_clusters)` centres. The result is the clusters file synthesis samples
 * styles from.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { DataError } from "../../kernel/errors.ts";
import type { Sample } from "../../kernel/plugin.ts";
import type { Logger } from "../../kernel/log.ts";
import type { Clusters } from "./clusters.ts";
import { appendRows, type FeatureRows, filterByArea, instanceFeatureRows } from "./instance_rows.ts";
import { kmeansCentres, type KMeansOptions } from "./kmeans.ts";

/** An encoder: images `[1,H,W,3]` and instance ids `[1,H,W,1]` → instance-pooled features `[1,H,W,feat_num]`. */
export interface FeatureEncoder {
  apply(image: tf.Tensor4D, inst: tf.Tensor4D): tf.Tensor4D;
}

/** What `encodeFeatures` needs besides the samples and the encoder. */
export interface EncodeFeaturesOptions extends Partial<KMeansOptions> {
  /** Classes of the model. */
  label_nc: number;
  /** Feature channels of the encoder. */
  feat_num: number;
  /** Clusters per class (official default 10). */
  n_clusters: number;
  /** Number of samples, for the progress bar. */
  total?: number;
  /** Where progress goes. */
  log?: Logger;
}

/** What encoding a dataset gives. */
export interface EncodedFeatures {
  /** The per-class centres. */
  clusters: Clusters;
  /** Every instance's row (features + area) by class, before the area filter. */
  rows: FeatureRows;
  /** Images encoded. */
  images: number;
}

function tensorOf(sample: Sample, key: string): tf.Tensor4D {
  const value = sample[key];
  if (!(value instanceof tf.Tensor) || value.rank !== 4 || value.shape[0] !== 1) {
    throw new DataError(
      String(sample.labelPath ?? sample.name ?? "sample"),
      `encoding features needs "${key}" as a [1, H, W, C] tensor (batchSize 1, with instance maps and photos)`,
    );
  }
  return value as tf.Tensor4D;
}

/**
 * Encodes one sample and takes its instances' feature rows; disposes the sample's tensors.
 *
 * @param sample a sample with `image` [1,H,W,3] and `inst` [1,H,W,1]
 * @param encoder the trained encoder
 * @param options the model's label_nc and feat_num
 * @returns the image's rows by class
 * @throws {DataError} for a sample without image or instance map, or an instance class beyond label_nc
 */
export async function encodeImageRows(
  sample: Sample,
  encoder: FeatureEncoder,
  options: Pick<EncodeFeaturesOptions, "label_nc" | "feat_num">,
): Promise<FeatureRows> {
  const file = String(sample.instPath ?? sample.labelPath ?? sample.name);
  try {
    const image = tensorOf(sample, "image"), instTensor = tensorOf(sample, "inst");
    const pooled = encoder.apply(image, instTensor);
    const [data, ids] = await Promise.all([pooled.data() as Promise<Float32Array>, instTensor.data()]);
    pooled.dispose();
    const [, height, width] = instTensor.shape;
    const inst = { width, height, channels: 1, data: Int32Array.from(ids) };
    return instanceFeatureRows(data, inst, { ...options, file });
  } finally {
    for (const value of Object.values(sample)) if (value instanceof tf.Tensor) value.dispose();
  }
}

/**
 * Clusters collected rows per class (the official clustering step).
 *
 * @param rows rows by class (features + area)
 * @param options label_nc, feat_num, n_clusters and the K-means options
 * @returns the clusters (classes with no row above the area filter are absent)
 */
export function clusterRows(
  rows: FeatureRows,
  options: Pick<EncodeFeaturesOptions, "label_nc" | "feat_num" | "n_clusters"> & Partial<KMeansOptions>,
): Clusters {
  const centres = new Map<number, number[][]>();
  for (let label = 0; label < options.label_nc; label++) {
    const kept = filterByArea(rows.get(label) ?? []);
    if (kept.length === 0) continue;
    centres.set(label, kmeansCentres(kept, Math.min(kept.length, options.n_clusters), options));
  }
  return { feat_num: options.feat_num, label_nc: options.label_nc, n_clusters: options.n_clusters, centres };
}

/**
 * Encodes every sample and clusters the features per class.
 *
 * @param samples samples with `image` [1,H,W,3] and `inst` [1,H,W,1] (one epoch, serial order, no flip)
 * @param encoder the trained encoder
 * @param options label_nc, feat_num, n_clusters, K-means seed/runs, progress
 * @returns the clusters, the raw rows and the number of images
 * @throws {DataError} for a sample without image or instance map, an instance class beyond label_nc,
 *   or a dataset whose instances are all too small to cluster
 */
export async function encodeFeatures(
  samples: AsyncIterable<Sample>,
  encoder: FeatureEncoder,
  options: EncodeFeaturesOptions,
): Promise<EncodedFeatures> {
  const rows: FeatureRows = new Map();
  const progress = options.log?.progress("encode_features", options.total ?? 0);
  let images = 0;
  for await (const sample of samples) {
    appendRows(rows, await encodeImageRows(sample, encoder, options));
    images++;
    progress?.tick({ instances: String([...rows.values()].reduce((n, list) => n + list.length, 0)) });
  }
  progress?.stop();
  const clusters = clusterRows(rows, options);
  if (clusters.centres.size === 0) {
    throw new DataError(
      "dataset",
      images === 0
        ? "has no samples to encode"
        : `no instance in ${images} image(s) is large enough to cluster (area > 0.5 of an h·w/32 block)`,
    );
  }
  return { clusters, rows, images };
}
