/**
 * Instance-wise features: encoding a training set into per-class style clusters (the official
 * encode_features.py), the feature maps `synth --instance_feat` feeds the generator (random, chosen per
 * instance or class, or encoded from a photo), the 1024p precomputed feature maps, and loading a
 * trained model for inference.
 *
 * @example
 * ```ts
 * import { featureMap, loadClusters, parseStyleArg } from "./plugins/features/mod.ts";
 * const clusters = await loadClusters("checkpoints/x/clusters_010.json", { feat_num: 3, label_nc: 35 });
 * const feat = featureMap(inst, clusters, parseStyleArg("car=3,road=0", classNames, 0));
 * ```
 *
 * @module
 */
export {
  checkClusters,
  type Clusters,
  CLUSTERS_FORMAT,
  clustersFileName,
  type ClustersFit,
  clustersFromJson,
  clustersToJson,
  findClustersFile,
  loadClusters,
  saveClusters,
} from "./clusters.ts";
export {
  clusterRows,
  type EncodedFeatures,
  encodeFeatures,
  type EncodeFeaturesOptions,
  type FeatureEncoder,
} from "./encode_features.ts";
export { encodeSource, type EncodeSourceOptions } from "./encode_source.ts";
export {
  featureMap,
  type InstanceStyle,
  paintFeatures,
  resolveStyles,
  styleOfChoice,
  stylesFromEncoded,
} from "./feature_map.ts";
export { type FeatureRows, instanceExtents, instanceFeatureRows, MIN_AREA } from "./instance_rows.ts";
export { inertia, KMEANS_DEFAULTS, kmeansCentres, type KMeansOptions } from "./kmeans.ts";
export { featurePath, precomputeFeatureMaps, type PrecomputeOptions } from "./precompute.ts";
export {
  parseStyleArg,
  randomStyle,
  readStyleOption,
  resolveStyleKey,
  type StyleChoice,
  styleFromJson,
  type StyleSpec,
} from "./style_spec.ts";
export { loadTrainedModel, type TrainedModel } from "./trained_model.ts";
