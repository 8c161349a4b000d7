/**
 * `deno task synth`: label maps → photos with a trained generator.
 *
 *   deno task synth --weights latest_net_G.pth --label frankfurt_gtFine_labelIds.png --inst …_instanceIds.png --out out.png
 *   deno task synth --name label2city_256p --checkpoints_dir weights --dataroot datasets/cityscapes
 *
 * A folder splits over processes with `--shard i/n` or a Kubernetes/Slurm array index (docs/scale.md).
 *
 * Works with the official `.pth` files (architecture read from the file) and with our checkpoints.
 * `--runtime onnxruntime` runs the generator on onnxruntime's native CPU kernels instead of tfjs.
 *
 * @module
 */
import { peakMemoryPhrase, peakRssBytes } from "../kernel/peak_memory.ts";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { defineCommand, main } from "../kernel/cli.ts";
import { defineSchema } from "../kernel/options.ts";
import { OptionsError } from "../kernel/errors.ts";
import { tf } from "../backends/tf.ts";
import { log } from "../kernel/log.ts";
import { datasetOptionSchema, loadDatasetOption, resolveDataset } from "../plugins/data/dataset_option.ts";
import { datasetOptionsOf, factsOf } from "../plugins/data/dataset_plugin.ts";
import type { Facts } from "../kernel/plugin.ts";
import { assertIndexOk } from "../plugins/data/source.ts";
import type { Entry } from "../plugins/data/sample_reader.ts";
import { imageToRaster, writePng } from "../plugins/data/write_image.ts";
import { idsToColors } from "../plugins/data/palette.ts";
import { labelColormap } from "../plugins/data/palettes/label_colormap.ts";
import { openEncoder, openGenerator } from "../plugins/inference/generator_file.ts";
import { locateBeside, locateNetwork } from "../plugins/checkpoints/files.ts";
import { clusterFeatures, encodedFeatures } from "../plugins/inference/features.ts";
import { findClustersFile } from "../plugins/features/clusters.ts";
import { type ReportRow, writeReport } from "../plugins/inference/report.ts";
import { Synthesizer, synthSchema } from "../plugins/inference/synthesize.ts";
import { releaseOnnxGenerators } from "../plugins/inference/onnx_generator.ts";
import { resolveShard, shardSchema } from "../kernel/shard.ts";
import { deviceSchema } from "../kernel/device_flags.ts";
import {
  checkEncoderFlags,
  checkGeneratorFlags,
  encoderFlagsSchema,
  generatorFlagsSchema,
  typedOnly,
} from "../plugins/networks/arch_flags.ts";
import { ignoredFlagsSchema, warnIgnoredFlags } from "../plugins/inference/ignored_flags.ts";
import { ShardJob } from "../kernel/shard_job.ts";

const schema = defineSchema({
  weights: { type: "string", default: null, doc: "generator weights: an official .pth or our .safetensors" },
  label: { type: "string", default: null, doc: "one label map PNG to synthesize" },
  inst: { type: "string", default: null, doc: "its instance map PNG (16-bit Cityscapes ids)" },
  out: { type: "string", default: null, doc: "where to write the image (default: results/<label name>.png)" },
  name: {
    type: "string",
    default: null,
    doc: "run name: weights from <checkpoints_dir>/<name>/<which_epoch>_net_G.*",
  },
  checkpoints_dir: { type: "string", default: "./checkpoints", doc: "where runs are saved" },
  which_epoch: { type: "string", default: "latest", doc: "which checkpoint of the run" },
  dataroot: {
    type: "string",
    default: null,
    doc:
      "synthesize a dataset's folder (any --dataset layout; default: detected); without --label: ./datasets/cityscapes/ as the official test.py",
  },
  phase: { type: "string", default: "test", doc: "which folders of dataroot" },
  ...datasetOptionSchema,
  results_dir: { type: "string", default: "./results", doc: "where folder results and their index.html go" },
  how_many: { type: "int", default: 50, min: 1, doc: "at most this many images from dataroot" },
  instance_feat: {
    type: "boolean",
    default: false,
    doc: "add instance-wise features (on by itself when the checkpoint was trained with them)",
  },
  feat_num: { type: "int", default: 3, min: 1, doc: "feature channels with --instance_feat" },
  cluster_path: {
    type: "string",
    default: null,
    doc: "the clusters file (default: clusters_010.json or features_clustered_010.npy beside the weights)",
  },
  style: {
    type: "string",
    default: null,
    doc: "cluster per class or instance: car=3,road=0 | 26=3 | 26001=[0.1,0.2,0.3] | a JSON file",
  },
  seed: { type: "int", default: 0, min: 0, doc: "seed of the random cluster per instance" },
  use_encoded_image: {
    type: "boolean",
    default: false,
    doc: "features from the real photo (--image, or {phase}_img) through the encoder",
  },
  image: { type: "string", default: null, doc: "the real photo for --use_encoded_image" },
  encoder: {
    type: "string",
    default: null,
    doc: "encoder weights (default: <which_epoch>_net_E.* beside the generator)",
  },
  label_feat: {
    type: "boolean",
    default: false,
    doc:
      "add label-wise features (as --instance_feat; on by itself when the checkpoint was trained with them)",
  },
  n_clusters: {
    type: "int",
    default: 10,
    min: 1,
    doc: "which clusters file: clusters_0NN.json beside the weights (default: clusters_010.json)",
  },
  max_dataset_size: { type: "int", default: null, min: 1, doc: "at most this many images from dataroot" },
  aspect_ratio: { type: "number", default: 1, min: 0, doc: "ignored (the official test.py does not use it)" },
  ntest: { type: "int", default: null, min: 1, doc: "ignored (the official test.py does not use it)" },
  export_onnx: { type: "string", default: null, doc: "not here: use `deno task export --format onnx`" },
  engine: { type: "string", default: null, doc: "not supported (TensorRT engines)" },
  onnx: { type: "string", default: null, doc: "not supported (running ONNX through TensorRT)" },
  ...synthSchema,
  ...generatorFlagsSchema,
  ...encoderFlagsSchema,
  ...ignoredFlagsSchema,
  ...deviceSchema,
  ...shardSchema,
});

/** The official default dataroot, read when neither --label nor --dataroot is given. */
const OFFICIAL_DATAROOT = "./datasets/cityscapes/";

/** The official TensorRT/ONNX flags of test.py: refused with what to use instead. */
function refuseTensorRt(o: { export_onnx: string | null; engine: string | null; onnx: string | null }): void {
  if (o.export_onnx) {
    throw new OptionsError(
      "synth",
      "export_onnx",
      `is not a synth option here: export with \`deno task export --weights <G> --format onnx --out ${o.export_onnx}\``,
    );
  }
  for (const key of ["engine", "onnx"] as const) {
    if (o[key]) {
      throw new OptionsError(
        "synth",
        key,
        "is not supported: TensorRT does not run here; synth runs the generator on the selected backend (drop --" +
          key + ")",
      );
    }
  }
}

/** Data flags synth takes from the checkpoint's training config when not given. */
const FROM_CONFIG = ["label_nc", "no_instance", "resize_or_crop", "loadSize", "fineSize"] as const;

/**
 * The data flags of a synthesis: the ones typed, else the checkpoint's training config, else the
 * official test defaults. A crop mode in the config is not repeated at test time: crop → none, scale_width_and_crop and
 * resize_and_crop → scale_width (the whole image, loadSize wide).
 */
function dataFlags(
  o: Record<string, unknown>,
  typed: ReadonlySet<string>,
  config: Record<string, unknown>,
): { flags: Record<string, unknown>; fromConfig: string[] } {
  const flags = { ...o };
  const fromConfig: string[] = [];
  for (const key of FROM_CONFIG) {
    if (typed.has(key) || config[key] === undefined) continue;
    let value = config[key];
    if (key === "resize_or_crop") {
      value =
        ({ scale_width_and_crop: "scale_width", crop: "none", resize_and_crop: "scale_width" } as Record<
          string,
          string
        >)[String(value)] ?? value;
    }
    flags[key] = value;
    fromConfig.push(`${key} ${value}`);
  }
  return { flags, fromConfig };
}

/** Class names for --style: the dataset's when label_nc says Cityscapes, else "class N". */
function classNamesFor(labelNc: number): readonly string[] {
  return labelColormap(Math.max(labelNc, 1)).names;
}

async function featureSourceFor(
  o: {
    instance_feat: boolean;
    feat_num: number;
    cluster_path: string | null;
    style: string | null;
    seed: number;
    use_encoded_image: boolean;
    encoder: string | null;
    which_epoch: string;
    n_clusters: number;
  },
  weights: string,
  labelNc: number,
  given: Record<string, unknown>,
) {
  if (o.use_encoded_image) {
    const file = o.encoder ??
      locateBeside(weights, o.which_epoch, "E", { command: "synth", instead: "pass --encoder <file>" });
    const encoder = await openEncoder(file);
    try {
      checkEncoderFlags(encoder.options, given, file);
    } catch (error) {
      encoder.dispose();
      throw error;
    }
    return { ...encodedFeatures(encoder), dispose: () => encoder.dispose() };
  }
  const clusters = o.cluster_path ?? findClustersFile(dirname(weights), o.n_clusters);
  if (!clusters) {
    throw new OptionsError(
      "synth",
      "cluster_path",
      `is needed for --instance_feat: no clusters_010.json or features_clustered_010.npy beside ${weights}; run \`deno task encode_features\` or pass --cluster_path, or --use_encoded_image`,
    );
  }
  const source = await clusterFeatures({
    clusters,
    feat_num: o.feat_num,
    label_nc: labelNc,
    style: o.style,
    seed: o.seed,
    classNames: classNamesFor(labelNc),
  });
  return { ...source, dispose: () => {} };
}

function labelPicture(sampleLabel: tf.Tensor4D, labelNc: number) {
  const [, height, width] = sampleLabel.shape;
  const ids = { width, height, channels: 1, data: Int32Array.from(sampleLabel.dataSync()) };
  return idsToColors(ids, labelColormap(Math.max(labelNc, 1)));
}

/** The `synth` command. */
export const synthCommand = defineCommand({
  name: "synth",
  description: "synthesize photos from label maps with a trained generator (official .pth or ours)",
  schema,
  json: true,
  examples: [
    "deno task synth --weights latest_net_G.pth --label labels.png --inst inst.png --out out.png",
    "deno task synth --name label2city_256p --checkpoints_dir weights --dataroot datasets/cityscapes",
    "deno task synth --name label2city_256p --checkpoints_dir weights --dataroot datasets/cityscapes --shard 2/3",
    "deno task synth --name label2city_256p --checkpoints_dir weights --dataroot datasets/cityscapes --runtime onnxruntime",
  ],
  async run(ctx) {
    const o = ctx.options;
    await loadDatasetOption(o);
    const weights = o.weights ??
      (o.name
        ? locateNetwork(o.checkpoints_dir, o.name, o.which_epoch, "G", {
          command: "synth",
          instead: "pass --weights <file>",
        })
        : null);
    if (!weights) {
      throw new OptionsError(
        "synth",
        "weights",
        "is needed: pass --weights <file> or --name <run> (with --checkpoints_dir)",
      );
    }
    if (!o.label && !o.dataroot) {
      // the official test.py reads its default dataroot
      if (!existsSync(OFFICIAL_DATAROOT)) {
        throw new OptionsError(
          "synth",
          "label",
          `is needed: pass --label <png> (and --inst <png>) or --dataroot <folder> (there is no ${OFFICIAL_DATAROOT} here)`,
        );
      }
      o.dataroot = OFFICIAL_DATAROOT;
    }
    const shard = resolveShard(o, (name) => Deno.env.get(name), o.label ? "one --label map" : undefined);
    refuseTensorRt(o);
    warnIgnoredFlags("synth", o, ctx.typed, ctx.log);
    const generator = await openGenerator(weights);
    const given = typedOnly(o, ctx.typed);
    try {
      checkGeneratorFlags(generator.arch, given, weights);
    } catch (error) {
      generator.net.dispose();
      throw error;
    }
    if (o.verbose) {
      ctx.log.info(`${weights}: ${generator.netG} generator ${JSON.stringify(generator.arch.options)}`);
    }
    const { flags: data, fromConfig } = dataFlags(o, ctx.typed, generator.config);
    const flags = data as typeof o;
    if (fromConfig.length) ctx.log.info(`from the checkpoint's training config: ${fromConfig.join(", ")}`);
    const instanceFeat = o.instance_feat || o.label_feat || o.use_encoded_image ||
      generator.trained.instance_feat === true || generator.trained.label_feat === true;
    const featNum = ctx.typed.has("feat_num") ? o.feat_num : generator.trained.feat_num ?? o.feat_num;
    const features = instanceFeat
      ? await featureSourceFor({ ...o, feat_num: featNum }, weights, flags.label_nc, given)
      : undefined;
    let entries: Entry[];
    let outDir: string;
    let facts: Facts = {};
    if (o.label) {
      const stem = basename(o.label).replace(/\.[^.]+$/, "");
      entries = [{
        name: stem,
        label: o.label,
        inst: flags.no_instance && !instanceFeat ? undefined : o.inst ?? undefined,
        image: o.image ?? undefined,
      }];
      if (!flags.no_instance && !o.inst) {
        throw new OptionsError(
          "synth",
          "inst",
          "is needed: this generator takes a boundary map; pass --inst <png> or --no_instance",
        );
      }
      outDir = "";
    } else {
      const dataset = await resolveDataset(o);
      const read = datasetOptionsOf(dataset, {
        dataroot: o.dataroot,
        phase: o.phase,
        label_nc: flags.label_nc,
        no_instance: flags.no_instance,
      });
      const index = dataset.dataset.index(read);
      assertIndexOk(index, o.dataroot!);
      facts = factsOf(dataset, read);
      entries = index.entries.slice(0, Math.min(o.how_many, o.max_dataset_size ?? Infinity));
      if (shard && entries.length < index.entries.length) {
        ctx.log.warn(
          `the shards split the first ${entries.length} of ${index.entries.length} label maps (--how_many ` +
            `${o.how_many}); pass --how_many ${index.entries.length} for all of them`,
        );
      }
      outDir = join(
        o.results_dir,
        o.name ?? basename(weights).replace(/\.[^.]+$/, ""),
        `${o.phase}_${o.which_epoch}`,
      );
    }
    const synth = new Synthesizer(
      generator,
      {
        label_nc: flags.label_nc,
        no_instance: flags.no_instance,
        resize_or_crop: flags.resize_or_crop,
        loadSize: flags.loadSize,
        fineSize: flags.fineSize,
        none_fit: o.none_fit,
        unknown_label: o.unknown_label,
        runtime: o.runtime,
        intra_op_threads: o.intra_op_threads,
      },
      features,
      facts,
    );
    const written: { name: string; file: string; width: number; height: number; seconds: number }[] = [];
    // every shard writes the report of the whole folder, so all of them write the same index.html
    const rows: ReportRow[] = o.label ? [] : entries.map((entry) => ({
      name: entry.name,
      images: [
        { label: "input label", src: `images/${entry.name}_input_label.png` },
        { label: "synthesized", src: `images/${entry.name}_synthesized_image.png` },
      ],
    }));
    const job = new ShardJob("synth", entries.map((e) => e.name), shard, join(outDir, "shards"));
    if (shard) ctx.log.info(job.describe(entries.length));
    const progress = log.progress("synth", job.inputs.length);
    for (const entry of entries) {
      if (!job.owns(entry.name)) continue;
      const file = o.label
        ? (o.out ?? join("results", `${entry.name}.png`))
        : join(outDir, "images", `${entry.name}_synthesized_image.png`);
      const labelFile = join(outDir, "images", `${entry.name}_input_label.png`);
      const files = o.label ? [file] : [file, labelFile];
      if (await job.done(entry.name, files)) {
        progress.tick({ s: 0 });
        continue;
      }
      const start = performance.now();
      const sample = await synth.prepare(entry);
      const image = await synth.generateAsync(sample);
      const seconds = (performance.now() - start) / 1000;
      await writePng(file, await imageToRaster(image));
      if (!o.label) {
        const [, h, w] = image.shape;
        const label = sample.label as tf.Tensor4D;
        const picture = tf.tidy(() => tf.image.resizeNearestNeighbor(label, [h, w]) as tf.Tensor4D);
        await writePng(labelFile, labelPicture(picture, flags.label_nc));
        picture.dispose();
      }
      job.record(entry.name, files, seconds);
      written.push({ name: entry.name, file, width: image.shape[2], height: image.shape[1], seconds });
      tf.dispose(image);
      tf.dispose(Object.values(sample).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
      progress.tick({ s: seconds });
    }
    progress.stop();
    const report = o.label
      ? null
      : await writeReport(outDir, `pix2pixHD synthesis: ${basename(weights)}`, rows);
    const manifest = await job.finish();
    await releaseOnnxGenerators(generator);
    generator.net.dispose();
    features?.dispose();
    const sharding = shard ? { shard: job.describe(entries.length), skipped: job.skipped, manifest } : {};
    const peakMemoryBytes = peakRssBytes();
    ctx.emit(
      {
        weights,
        backend: ctx.backend?.name,
        runtime: o.runtime,
        images: written,
        report,
        peakMemoryBytes,
        ...sharding,
      },
      (r) =>
        [
          ...r.images.map((i) => `${i.file} (${i.width}×${i.height}, ${i.seconds.toFixed(2)} s)`),
          `${r.runtime === "tfjs" ? r.backend ?? "backend" : `${r.runtime} (data on ${r.backend})`}: ${
            peakMemoryPhrase(r.peakMemoryBytes)
          }`,
          r.report ? `report: ${r.report}` : "",
          r.shard ? `${r.shard}; ${r.skipped?.length} already complete; manifest: ${r.manifest}` : "",
        ].filter(Boolean).join("\n"),
    );
  },
});

if (import.meta.main) await main(synthCommand);
