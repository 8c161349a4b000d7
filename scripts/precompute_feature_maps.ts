/**
 * `precompute_feature_maps`: the official precompute_feature_maps.py, step one of the 1024p `_feat`
 * recipe. The 512p model's encoder encodes every training image at the 512p size; the features are
 * upsampled ×2 and saved as RGB pictures in `<dataroot>/{phase}_feat/`, which the 1024p training reads
 * with `--load_features`.
 *
 *   deno task precompute_feature_maps --name label2city_512p_feat
 *   deno task train --name label2city_1024p_feat --netG local --ngf 32 --instance_feat --load_features …
 *
 * @module
 */
import { join } from "node:path";
import { defineCommand, main } from "../kernel/cli.ts";
import { OptionsError } from "../kernel/errors.ts";
import { defineSchema } from "../kernel/options.ts";
import { tf } from "../backends/tf.ts";
import { encodeSource } from "../plugins/features/encode_source.ts";
import { datasetOptionSchema, loadDatasetOption } from "../plugins/data/dataset_option.ts";
import { precomputeFeatureMaps } from "../plugins/features/precompute.ts";
import { loadTrainedModel } from "../plugins/features/trained_model.ts";
import { checkModelFlags, modelFlagsSchema } from "../plugins/features/model_flags.ts";
import { typedOnly } from "../plugins/networks/arch_flags.ts";
import { warnIgnoredFlags } from "../plugins/inference/ignored_flags.ts";
import { precomputeShard } from "../plugins/features/sharded.ts";
import { resolveShard, shardSchema } from "../kernel/shard.ts";

/** Options of `precompute_feature_maps` (official names). */
export const precomputeSchema = defineSchema({
  name: { type: "string", default: null, doc: "the 512p instance_feat model in <checkpoints_dir>/<name>" },
  checkpoints_dir: { type: "string", default: "./checkpoints", doc: "where models are saved" },
  which_epoch: { type: "string", default: "latest", doc: "which checkpoint to load" },
  dataroot: { type: "string", default: null, doc: "the dataset (default: the one the model was trained on)" },
  ...datasetOptionSchema,
  phase: { type: "string", default: "train", doc: "reads {phase}_label/_inst/_img, writes {phase}_feat" },
  max_dataset_size: { type: "int", default: null, min: 1, doc: "at most this many images" },
  resize_or_crop: {
    type: "string",
    default: null,
    doc: "preprocessing (default: the training config's)",
  },
  loadSize: { type: "int", default: null, min: 1, doc: "resize size (default: the training config's)" },
  fineSize: { type: "int", default: null, min: 1, doc: "crop size (default: the training config's)" },
  scale: { type: "int", default: 2, min: 1, doc: "nearest upsampling factor (official: 2, 512p → 1024p)" },
  ...shardSchema,
  ...modelFlagsSchema,
});

/** The command. */
export const precomputeFeatureMapsCommand = defineCommand({
  name: "precompute_feature_maps",
  description: "write a 512p encoder's feature maps, upsampled ×2, for 1024p training with --load_features",
  schema: precomputeSchema,
  json: true,
  examples: [
    "deno task precompute_feature_maps --name label2city_512p_feat",
    "deno task precompute_feature_maps --name label2city_512p_feat --shard 2/3",
  ],
  async run(ctx) {
    const o = ctx.options;
    await loadDatasetOption(o);
    const shard = resolveShard(o, (name) => Deno.env.get(name));
    if (!o.name) {
      throw new OptionsError(
        "precompute_feature_maps",
        "name",
        "is required: the 512p model: current value is null",
      );
    }
    const dir = join(o.checkpoints_dir, o.name);
    warnIgnoredFlags("precompute_feature_maps", o, ctx.typed, ctx.log);
    const model = await loadTrainedModel(dir, o.which_epoch);
    try {
      const given = typedOnly(o, ctx.typed);
      checkModelFlags(model, given, dir);
      if (!model.E) {
        throw new OptionsError(
          "precompute_feature_maps",
          "name",
          `${dir} has no encoder (net E): train it with --instance_feat`,
        );
      }
      const kernel = { backend: tf.getBackend(), log: ctx.log };
      const source = encodeSource(model.config, o, kernel);
      const dataroot = o.dataroot ?? String(model.config.dataroot ?? "./datasets/cityscapes/");
      const outDir = join(dataroot, `${o.phase}_feat`);
      if (shard) {
        const { job, manifest } = await precomputeShard(
          source,
          model.E,
          { shard, outDir, scale: o.scale },
          kernel,
        );
        const skipped = job.skipped.length;
        ctx.emit(
          { folder: outDir, shard: job.describe(source.size ?? 0), skipped, manifest },
          (r) =>
            `${r.shard}: feature maps in ${r.folder} (${r.skipped} already there); manifest: ${r.manifest}`,
        );
        return;
      }
      const files = await precomputeFeatureMaps(source.samples(kernel), model.E, {
        outDir,
        scale: o.scale,
        total: source.size,
        log: ctx.log,
      });
      ctx.emit(
        { folder: outDir, files: files.length },
        (r) => `${r.folder}: ${r.files} feature map(s) written`,
      );
    } finally {
      model.dispose();
    }
  },
});

if (import.meta.main) await main(precomputeFeatureMapsCommand);
