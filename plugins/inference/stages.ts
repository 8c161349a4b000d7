/**
 * Inference as pipeline stages: `generate` (a transform that runs a trained generator on each
 * sample's `input` and gives `synthesized` at the label map's original size) and `write-images`
 * (a sink that writes PNGs and an HTML report, and returns the files it wrote).
 *
 * ```ts
 * await pipeline()
 *   .from("aligned", { dataroot: "datasets/cityscapes", phase: "test", resize_or_crop: "none", no_flip: true })
 *   .use("boundaries").use("one-hot").use("generator-input")
 *   .use("generate", { weights: "weights/label2city_256p/latest_net_G.safetensors" })
 *   .to("write-images", { dir: "results/demo" })
 *   .run();
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { type Tensor4D, tf } from "../../backends/tf.ts";
import { defineSchema } from "../../kernel/options.ts";
import { definePlugin, type Sample, type SinkStage, type TransformStage } from "../../kernel/plugin.ts";
import { OptionsError } from "../../kernel/errors.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { checkGeneratorInput } from "../networks/infer.ts";
import type { GeometryPlan } from "../data/preprocess.ts";
import { imageToRaster, writePng } from "../data/write_image.ts";
import { idsToColors, type Palette } from "../data/palette.ts";
import { labelColormap } from "../data/palettes/label_colormap.ts";
import { labelOptionsSchema } from "../data/label_options.ts";
import { type OpenedGenerator, openGenerator } from "./generator_file.ts";
import { type ReportRow, writeReport } from "./report.ts";
import { clusterFeatures } from "./features.ts";
import { featureStage, runGeneratorAsync } from "./synthesize.ts";
import { runtimeSchema } from "./runtime_options.ts";
import { releaseOnnxGenerators } from "./onnx_generator.ts";

const generateSchema = defineSchema({
  weights: { type: "string", default: null, doc: "generator weights: an official .pth or our .safetensors" },
  label_nc: {
    ...labelOptionsSchema.label_nc,
    default: null,
    doc: "label classes, to check the input against the generator",
  },
  no_instance: labelOptionsSchema.no_instance,
  feature_channels: {
    type: "int",
    default: 0,
    min: 0,
    doc: "instance-wise feature channels in the input (0: those of the sample's `feat`, if any)",
  },
  ...runtimeSchema,
});

/**
 * Runs a generator on each sample's `input` (on tfjs, or on onnxruntime with `runtime: "onnxruntime"`);
 * gives `synthesized` ([1, H, W, 3] in [-1, 1]).
 */
export const generateStage = definePlugin({
  name: "generate",
  role: "transform",
  description: "run a trained generator on `input`, giving `synthesized` at the original size",
  provides: ["synthesized"],
  schema: generateSchema,
  create(o): TransformStage {
    if (!o.weights) {
      throw new OptionsError("generate", "weights", "is needed: the path of a generator checkpoint");
    }
    let opened: Promise<OpenedGenerator> | undefined;
    return {
      kind: "transform",
      name: "generate",
      needs: ["input"],
      gives: ["synthesized"],
      async apply(sample: Sample): Promise<Sample> {
        // the features' channels: as given, else those of the sample's `feat` (a cluster-features stage)
        const featureChannels = o.feature_channels ||
          (sample.feat instanceof tf.Tensor ? (sample.feat as Tensor4D).shape[3] : 0);
        opened ??= openGenerator(o.weights!).then((g) => {
          if (o.label_nc !== null) {
            checkGeneratorInput(g.input_nc, {
              label_nc: o.label_nc,
              no_instance: o.no_instance,
              feature_channels: featureChannels,
            }, g.file);
          }
          return g;
        });
        const g = await opened;
        const synthesized = await runGeneratorAsync(
          g,
          sample.input as Tensor4D,
          (sample.plan ?? null) as GeometryPlan | null,
          o,
        );
        return { ...sample, synthesized };
      },
      async close() {
        const g = await opened?.catch(() => undefined);
        if (g) {
          await releaseOnnxGenerators(g);
          g.net.dispose();
        }
        opened = undefined;
      },
    };
  },
});

const featuresSchema = defineSchema({
  clusters: {
    type: "string",
    default: null,
    doc: "the model's clusters file (clusters_010.json or features_clustered_010.npy)",
  },
  feat_num: { type: "int", default: 3, min: 1, doc: "feature channels" },
  label_nc: { ...labelOptionsSchema.label_nc, min: 1, doc: "the model's label classes" },
  style: {
    type: "string",
    default: null,
    doc: "cluster per class or instance (car=3,road=0 | 26001=2 | a JSON file); else random",
  },
  seed: { type: "int", default: 0, min: 0, doc: "seed of the random cluster per instance" },
});

/** Paints a cluster centre of its class over every instance; gives `feat` ([1, H, W, feat_num]). */
export const clusterFeaturesStage = definePlugin({
  name: "cluster-features",
  role: "transform",
  description:
    "instance-wise features from a model's K-means clusters (random with a seed, or chosen), giving `feat`",
  provides: ["feat"],
  schema: featuresSchema,
  create(o): TransformStage {
    if (!o.clusters) {
      throw new OptionsError("cluster-features", "clusters", "is needed: the model's clusters file");
    }
    let stage: Promise<TransformStage> | undefined;
    return {
      kind: "transform",
      name: "cluster-features",
      needs: ["inst"],
      gives: ["feat"],
      async apply(sample: Sample, ctx): Promise<Sample> {
        stage ??= clusterFeatures({
          clusters: o.clusters!,
          feat_num: o.feat_num,
          label_nc: o.label_nc,
          style: o.style,
          seed: o.seed,
          classNames: labelColormap(o.label_nc).names,
        }).then((f) => featureStage(f.source, "cluster-features"));
        return (await stage).apply(sample, ctx);
      },
    };
  },
});

const writerSchema = defineSchema({
  dir: { type: "string", default: "./results", doc: "folder for images/ and index.html" },
  label_nc: {
    ...labelOptionsSchema.label_nc,
    doc: "classes, for the label map's colours (a dataset's own palette is used when the pipeline has one)",
  },
  title: { type: "string", default: "pix2pixHD synthesis", doc: "the report's title" },
});

/** Writes each sample's label (in colour), `synthesized` and real `image` as PNGs, then `index.html`. */
export const writeImagesStage = definePlugin({
  name: "write-images",
  role: "sink",
  description: "write label | synthesized | real PNGs and an HTML report; returns the files",
  provides: ["writer"],
  schema: writerSchema,
  create(o, ctx): SinkStage<{ report: string; files: string[] }> {
    const palette = (ctx.facts?.palette as Palette | null | undefined) ??
      labelColormap(Math.max(o.label_nc, 1));
    const rows: ReportRow[] = [];
    const files: string[] = [];
    const images = join(o.dir, "images");
    return {
      kind: "sink",
      name: "write-images",
      needs: ["synthesized"],
      async consume(sample) {
        const batch = (sample.synthesized as Tensor4D).shape[0];
        const names = Array.isArray(sample.name)
          ? sample.name as string[]
          : [String(sample.name ?? rows.length)];
        for (let i = 0; i < batch; i++) {
          const name = names[i] ?? `${rows.length}`;
          const row: ReportRow = { name, images: [] };
          const label = sample.label as Tensor4D | undefined;
          if (label && label.shape[3] === 1) {
            const [, h, w] = label.shape;
            const ids = tf.tidy(() => tf.slice(label, [i, 0, 0, 0], [1, -1, -1, -1]));
            const raster = idsToColors({
              width: w,
              height: h,
              channels: 1,
              data: Int32Array.from(ids.dataSync()),
            }, palette);
            ids.dispose();
            await writePng(join(images, `${name}_input_label.png`), raster);
            row.images.push({ label: "input label", src: `images/${name}_input_label.png` });
          }
          for (const [field, caption] of [["synthesized", "synthesized"], ["image", "real"]] as const) {
            const t = sample[field] as Tensor4D | undefined;
            if (!(t instanceof tf.Tensor)) continue;
            const file = join(
              images,
              `${name}_${field === "image" ? "real_image" : "synthesized_image"}.png`,
            );
            await writePng(file, await imageToRaster(t, i));
            files.push(file);
            row.images.push({
              label: caption,
              src: `images/${name}_${field === "image" ? "real_image" : "synthesized_image"}.png`,
            });
          }
          rows.push(row);
        }
        disposeAll(sample);
      },
      async finish() {
        return { report: await writeReport(o.dir, o.title, rows), files };
      },
    };
  },
});
