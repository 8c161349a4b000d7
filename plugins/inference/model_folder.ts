/**
 * A model folder as shipped in `weights/<name>/`: `latest_net_G.safetensors` and, for a model trained with
 * instance-wise features, the K-means clusters of those features (`clusters_010.json`), opened into
 * synthesizers whose styles are drawn from the clusters with a given seed.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { DataError } from "../../kernel/errors.ts";
import type { Facts } from "../../kernel/plugin.ts";
import { labelColormap } from "../data/palettes/label_colormap.ts";
import { findClustersFile } from "../features/clusters.ts";
import { clusterFeatures } from "./features.ts";
import { type OpenedGenerator, openGenerator } from "./generator_file.ts";
import { locateNetwork } from "../checkpoints/files.ts";
import { Synthesizer } from "./synthesize.ts";
import type { RuntimeOptions } from "./runtime_options.ts";

/** An opened model folder. */
export interface ModelFolder {
  /** The generator. */
  generator: OpenedGenerator;
  /** Its weights file. */
  weights: string;
  /** The clusters file, or null for a model without instance-wise features. */
  clusters: string | null;
  /**
   * A synthesizer at `width` pixels wide (resize_or_crop scale_width) with styles drawn by `seed`.
   *
   * @param seed the style seed (ignored by a model without features)
   * @param facts what the scenes' dataset implies (its palette, the colours of colour-coded label maps)
   */
  synthesizer(seed: number, facts?: Facts): Promise<Synthesizer>;
}

/**
 * Opens a model folder; its label classes are the model's training config's (else Cityscapes' 35).
 *
 * @param dir the folder (e.g. `weights/label2city_256p`)
 * @param width the width scenes are synthesized at
 * @param runtime which runtime the synthesizers run the generator on (default: tfjs)
 * @returns the generator and a maker of synthesizers; the caller disposes `generator.net` (and, on
 *   onnxruntime, releases its session with `releaseOnnxGenerators`)
 * @throws {OptionsError} when the folder has no generator; {DataError} when a model with features has no clusters
 */
export async function openModelFolder(
  dir: string,
  width: number,
  runtime: Partial<RuntimeOptions> = {},
): Promise<ModelFolder> {
  const weights = locateNetwork(dirname(dir), basename(dir), "latest", "G", {
    command: "model folder",
    instead: "pass a folder with latest_net_G.safetensors or latest_net_G.pth (--model)",
  });
  const generator = await openGenerator(weights);
  const featNum = generator.trained.feat_num ?? 3;
  const withFeatures = generator.trained.instance_feat ?? generator.input_nc > 36;
  const clusters = withFeatures ? findClustersFile(dirname(weights)) : null;
  if (withFeatures && !clusters) {
    generator.net.dispose();
    throw new DataError(dir, "has no clusters_010.json: run `deno task encode_features` for this model");
  }
  const labelNc = generator.trained.label_nc ?? 35;
  const palette = labelColormap(labelNc);
  const options = {
    label_nc: labelNc,
    no_instance: generator.trained.no_instance ?? false,
    resize_or_crop: "scale_width" as const,
    loadSize: width,
    ...runtime,
  };
  return {
    generator,
    weights,
    clusters,
    synthesizer: async (seed, facts = {}) =>
      clusters
        ? new Synthesizer(
          generator,
          options,
          await clusterFeatures({
            clusters,
            feat_num: featNum,
            label_nc: labelNc,
            style: null,
            seed,
            classNames: palette.names,
          }),
          facts,
        )
        : new Synthesizer(generator, options, undefined, facts),
  };
}
