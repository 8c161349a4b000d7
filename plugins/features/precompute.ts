/**
 * The official `precompute_feature_maps.py`, for the 1024p `_feat` recipe: the 512p model's encoder
 * runs over every training image (at the 512p model's size), its instance-pooled features are
 * upsampled ×2 with nearest neighbours, turned into an 8-bit RGB picture with `tensor2im`
 * (`(x + 1) / 2 · 255`, truncated) and saved as `{phase}_feat/<label file name>.png`; training with
 * `--load_features` then reads them back as the generator's feature channels.
 *
 * Details the official script fixes that we keep: nearest ×2 (`nn.Upsample(scale_factor=2)`), PNG,
 * the label map's file name. One we generalise: the official script always writes to `train_feat`
 * (it replaces `/train_label/` in the path); we write to `{phase}_feat`, the folder it creates and the
 * loader reads.
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import { tf } from "../../backends/tf.ts";
import { DataError, OptionsError } from "../../kernel/errors.ts";
import type { Sample } from "../../kernel/plugin.ts";
import type { Logger } from "../../kernel/log.ts";
import { writeFileAtomic } from "../../formats/atomic.ts";
import { resizeNearest } from "../data/resize.ts";
import type { FeatureEncoder } from "./encode_features.ts";
import { encodePng, imageToRaster } from "../data/write_image.ts";

/** Where and how feature maps are written. */
export interface PrecomputeOptions {
  /** The folder the pictures go to (`<dataroot>/{phase}_feat`). */
  outDir: string;
  /** Upsampling factor (official: 2, from 512p to 1024p). */
  scale?: number;
  /** Number of samples, for the progress bar. */
  total?: number;
  /** Where progress goes. */
  log?: Logger;
  /** Called after each picture is written, with the sample's name and the file. */
  onWritten?: (name: string, file: string) => void;
}

/**
 * The feature picture's path for a label map.
 *
 * @param labelPath the sample's label map
 * @param outDir the `{phase}_feat` folder
 * @returns `<outDir>/<label name>.png`
 */
export function featurePath(labelPath: string, outDir: string): string {
  const name = basename(labelPath);
  return join(outDir, name.slice(0, name.length - extname(name).length) + ".png");
}

/**
 * Encodes every sample and writes its upsampled feature picture.
 *
 * @param samples samples with `labelPath`, `image` [1,H,W,3] and `inst` [1,H,W,1] (serial, no flip)
 * @param encoder the trained (512p) encoder
 * @param options output folder, scale, progress
 * @returns the files written
 * @throws {DataError} for a sample without photo or instance map, or a file that cannot be written
 * @throws {OptionsError} when the encoder's feat_num is not 3 (the pictures are RGB)
 */
export async function precomputeFeatureMaps(
  samples: AsyncIterable<Sample>,
  encoder: FeatureEncoder,
  options: PrecomputeOptions,
): Promise<string[]> {
  const scale = options.scale ?? 2;
  await Deno.mkdir(options.outDir, { recursive: true });
  const progress = options.log?.progress("precompute_feature_maps", options.total ?? 0);
  const written: string[] = [];
  for await (const sample of samples) {
    try {
      const { image, inst, labelPath } = sample;
      if (!(image instanceof tf.Tensor) || !(inst instanceof tf.Tensor) || typeof labelPath !== "string") {
        throw new DataError(
          String(labelPath ?? sample.name),
          "precomputing feature maps needs the photo and the instance map of every sample",
        );
      }
      const pooled = encoder.apply(image as tf.Tensor4D, inst as tf.Tensor4D);
      if (pooled.shape[3] !== 3) {
        pooled.dispose();
        throw new OptionsError(
          "precompute_feature_maps",
          "feat_num",
          `must be 3: feature maps are stored as RGB pictures (as the official script does): current value is ${
            pooled.shape[3]
          }`,
        );
      }
      const picture = await imageToRaster(pooled);
      pooled.dispose();
      const file = featurePath(labelPath, options.outDir);
      await writeFileAtomic(
        file,
        encodePng(resizeNearest(picture, picture.width * scale, picture.height * scale)),
      );
      written.push(file);
      options.onWritten?.(String(sample.name), file);
    } finally {
      for (const value of Object.values(sample)) if (value instanceof tf.Tensor) value.dispose();
    }
    progress?.tick();
  }
  progress?.stop();
  return written;
}
