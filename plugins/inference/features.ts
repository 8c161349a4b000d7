/**
 * The instance-wise feature channels of synthesis (`--instance_feat`): a cluster centre of its class
 * painted over every instance (drawn at random with a seed, or chosen per class or instance with
 * `--style`), or the features of a real photo run through the encoder (`--use_encoded_image`).
 *
 * @module
 */
import { type Tensor4D, tf } from "../../backends/tf.ts";
import { DataError, OptionsError } from "../../kernel/errors.ts";
import type { Sample } from "../../kernel/plugin.ts";
import { type Clusters, loadClusters } from "../features/clusters.ts";
import { featureMap } from "../features/feature_map.ts";
import { randomStyle, readStyleOption } from "../features/style_spec.ts";
import { seedFor } from "../../kernel/random.ts";
import type { Encoder } from "../networks/encoder.ts";
import type { FeatureSource } from "./synthesize.ts";

function instRaster(sample: Sample): { width: number; height: number; channels: number; data: Int32Array } {
  const inst = (sample.inst ?? sample.label) as Tensor4D | undefined;
  if (!(inst instanceof tf.Tensor)) {
    throw new DataError(
      String(sample.labelPath ?? sample.name),
      "has no instance map for the instance-wise features",
    );
  }
  const [, height, width] = inst.shape;
  return { width, height, channels: 1, data: Int32Array.from(inst.dataSync()) };
}

/**
 * Features from clusters: each instance gets a centre of its class. Random draws are seeded per image
 * from `seed` and the sample's name, so an image gets the same styles in any batch, shard or order.
 *
 * @param opts the clusters file, the model's feat_num and label_nc, a `--style` value, the seed, class names
 * @returns the feature source for `Synthesizer`, with its channel count
 * @throws {DataError} when the clusters file is unreadable; {OptionsError} when it is from another model
 */
export async function clusterFeatures(opts: {
  clusters: string;
  feat_num: number;
  label_nc: number;
  style: string | null;
  seed: number;
  classNames: readonly string[];
}): Promise<{ channels: number; source: FeatureSource; clusters: Clusters }> {
  const clusters = await loadClusters(opts.clusters, { feat_num: opts.feat_num, label_nc: opts.label_nc });
  const spec = opts.style
    ? await readStyleOption(opts.style, opts.classNames, opts.seed)
    : randomStyle(opts.seed);
  return {
    channels: opts.feat_num,
    clusters,
    source: (sample) =>
      featureMap(instRaster(sample), clusters, {
        ...spec,
        seed: seedFor(spec.seed, String(sample.name ?? "")),
      }, {
        feat_num: opts.feat_num,
        classNames: opts.classNames,
      }),
  };
}

/**
 * Features of real photos: the encoder's output averaged over each instance.
 *
 * @param encoder the model's encoder E
 * @returns the feature source; samples must carry `image` (pass --image, or a dataroot with {phase}_img)
 */
export function encodedFeatures(encoder: Encoder): { channels: number; source: FeatureSource } {
  return {
    channels: encoder.options.feat_num,
    source: (sample) => {
      const image = sample.image as Tensor4D | undefined;
      if (!(image instanceof tf.Tensor)) {
        throw new OptionsError(
          "synth",
          "use_encoded_image",
          "needs a photo per label map: pass --image <png>, or a dataroot with a {phase}_img folder",
        );
      }
      return encoder.apply(image, sample.inst as Tensor4D);
    },
  };
}
