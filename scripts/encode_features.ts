/**
 * `encode_features`: the official encode_features.py. Runs a trained `instance_feat` model's encoder
 * over its training set, takes each instance's feature (middle pixel) and area, and clusters each
 * class's features (area > 0.5) with K-means into at most `n_clusters` styles, saved as
 * `checkpoints/<name>/clusters_010.json` for synthesis (`synth --instance_feat`) and editing.
 *
 *   deno task encode_features --name label2city_512p_feat [--n_clusters 10] [--dataroot DIR]
 *
 * Split over processes (docs/scale.md): `--shard i/n` (or a Kubernetes/Slurm array index) writes each
 * image's feature rows; `--merge` then clusters them into the same file one process writes.
 *
 * @module
 */
import { join } from "node:path";
import { defineCommand, main } from "../kernel/cli.ts";
import { tf } from "../backends/tf.ts";
import { OptionsError } from "../kernel/errors.ts";
import { defineSchema } from "../kernel/options.ts";
import { clustersFileName, saveClusters } from "../plugins/features/clusters.ts";
import { encodeFeatures } from "../plugins/features/encode_features.ts";
import { encodeSource } from "../plugins/features/encode_source.ts";
import { datasetOptionSchema, loadDatasetOption } from "../plugins/data/dataset_option.ts";
import { loadTrainedModel } from "../plugins/features/trained_model.ts";
import { checkModelFlags, modelFlagsSchema } from "../plugins/features/model_flags.ts";
import { typedOnly } from "../plugins/networks/arch_flags.ts";
import { warnIgnoredFlags } from "../plugins/inference/ignored_flags.ts";
import { encodeShard, mergeShards } from "../plugins/features/sharded.ts";
import { resolveShard, shardSchema } from "../kernel/shard.ts";

/** Options of `encode_features` (official names). */
export const encodeFeaturesSchema = defineSchema({
  name: { type: "string", default: null, doc: "experiment name: the model in <checkpoints_dir>/<name>" },
  checkpoints_dir: { type: "string", default: "./checkpoints", doc: "where models are saved" },
  which_epoch: { type: "string", default: "latest", doc: "which checkpoint to load" },
  dataroot: { type: "string", default: null, doc: "the dataset (default: the one the model was trained on)" },
  ...datasetOptionSchema,
  phase: {
    type: "string",
    default: "train",
    doc: "dataset subfolders: {phase}_label, {phase}_inst, {phase}_img",
  },
  max_dataset_size: { type: "int", default: null, min: 1, doc: "encode at most this many images" },
  resize_or_crop: {
    type: "string",
    default: null,
    doc: "preprocessing (default: the training config's; scale_width: whole images of a crop-trained model)",
  },
  loadSize: { type: "int", default: null, min: 1, doc: "resize size (default: the training config's)" },
  fineSize: { type: "int", default: null, min: 1, doc: "crop size (default: the training config's)" },
  n_clusters: { type: "int", default: 10, min: 1, doc: "clusters (styles) per class" },
  seed: { type: "int", default: 0, min: 0, doc: "K-means seed (the official code uses random_state 0)" },
  n_init: { type: "int", default: 10, min: 1, doc: "K-means runs per class; the best is kept" },
  out: {
    type: "string",
    default: null,
    doc: "clusters file (default <checkpoints_dir>/<name>/clusters_010.json)",
  },
  ...shardSchema,
  ...modelFlagsSchema,
  rows_dir: {
    type: "string",
    default: null,
    doc: "with a shard: where each image's feature rows go (default <checkpoints_dir>/<name>/feature_rows)",
  },
  merge: {
    type: "boolean",
    default: false,
    doc: "cluster the rows every shard wrote into the clusters file one unsharded run writes",
  },
});

/** The command. */
export const encodeFeaturesCommand = defineCommand({
  name: "encode_features",
  description:
    "cluster a trained encoder's instance features per class into styles (official encode_features.py)",
  schema: encodeFeaturesSchema,
  json: true,
  examples: [
    "deno task encode_features --name label2city_512p_feat --n_clusters 10",
    "deno task encode_features --name label2city_512p_feat --shard 2/3   # then, when all shards are done:",
    "deno task encode_features --name label2city_512p_feat --merge",
  ],
  async run(ctx) {
    const o = ctx.options;
    await loadDatasetOption(o);
    const shard = resolveShard(o, (name) => Deno.env.get(name), o.merge ? "a --merge" : undefined);
    if (!o.name) {
      throw new OptionsError(
        "encode_features",
        "name",
        "is required: the experiment to encode: current value is null",
      );
    }
    const dir = join(o.checkpoints_dir, o.name);
    warnIgnoredFlags("encode_features", o, ctx.typed, ctx.log);
    const model = await loadTrainedModel(dir, o.which_epoch);
    try {
      const given = typedOnly(o, ctx.typed);
      checkModelFlags(model, given, dir);
      if (!model.E) {
        throw new OptionsError(
          "encode_features",
          "name",
          `${dir} has no encoder (net E): train it with --instance_feat`,
        );
      }
      const kernel = { backend: tf.getBackend(), log: ctx.log };
      const source = encodeSource(model.config, o, kernel);
      const rows = {
        rows_dir: o.rows_dir ?? join(dir, "feature_rows"),
        model: {
          label_nc: model.label_nc,
          feat_num: model.E.options.feat_num,
          model: `${o.name}@${o.which_epoch}`,
        },
      };
      if (shard) {
        const { job, manifest } = await encodeShard(source, model.E, { ...rows, shard }, kernel);
        const skipped = job.skipped.length;
        ctx.emit(
          { rows_dir: rows.rows_dir, shard: job.describe(source.size ?? 0), skipped, manifest },
          (r) => `${r.shard}: rows in ${r.rows_dir} (${r.skipped} already there); manifest: ${r.manifest}`,
        );
        return;
      }
      const kmeans = { n_clusters: o.n_clusters, seed: o.seed, n_init: o.n_init };
      const result = o.merge
        ? await mergeShards(source, { ...rows, ...kmeans })
        : await encodeFeatures(source.samples(kernel), model.E, {
          label_nc: rows.model.label_nc,
          feat_num: rows.model.feat_num,
          ...kmeans,
          total: source.size,
          log: ctx.log,
        });
      const out = o.out ?? join(dir, clustersFileName(o.n_clusters));
      await saveClusters(out, result.clusters, {
        seed: o.seed,
        checkpoint: dir,
        which_epoch: o.which_epoch,
        images: result.images,
      });
      const classes = [...result.clusters.centres].map(([label, c]) => ({
        class: label,
        clusters: c.length,
      }));
      ctx.emit(
        { file: out, images: result.images, classes },
        (r) =>
          `${r.file}: ${r.classes.length} classes from ${r.images} images (class:clusters ${
            r.classes.map((c) => `${c.class}:${c.clusters}`).join(" ")
          })`,
      );
    } finally {
      model.dispose();
    }
  },
});

if (import.meta.main) await main(encodeFeaturesCommand);
