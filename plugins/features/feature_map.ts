/**
 * The generator's feature channels at synthesis (official `sample_features`): every instance gets one
 * feature vector, a cluster centre of its class, painted over its pixels; classes without clusters get
 * zeros. Which centre: the user's choice for the instance, else for its class, else a random one.
 *
 * Random draws follow the official order: one uniform cluster index per instance whose class has
 * clusters, instances in ascending id order (`np.unique`), from an `Rng` seeded with the spec's seed.
 * Every such instance draws, chosen or not, so pinning one instance's style keeps the others'.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { OptionsError } from "../../kernel/errors.ts";
import { Rng } from "../../kernel/random.ts";
import type { Raster } from "../data/raster.ts";
import { classOfInstance } from "../data/maps.ts";
import type { Clusters } from "./clusters.ts";
import type { StyleChoice, StyleSpec } from "./style_spec.ts";
import { instanceExtents } from "./instance_rows.ts";

/** The style an instance has: its feature vector, and the cluster it came from (null for a raw vector). */
export interface InstanceStyle {
  /** Cluster index of its class, or null when the vector was given or the class has no clusters. */
  cluster: number | null;
  /** The feature vector, `feat_num` values. */
  vector: number[];
}

/**
 * The vector of a choice for an instance of class `label`.
 *
 * @param choice a cluster index or a raw vector
 * @param label the instance's class
 * @param clusters the clusters (null: only raw vectors are possible)
 * @param options `feat_num`, `classNames` (for messages), `what` (the instance or class, for messages)
 * @returns the style
 * @throws {OptionsError} for a cluster index beyond the class's clusters (with the valid range), a
 *   class without clusters (listing the classes that have some), or a vector of the wrong length
 */
export function styleOfChoice(
  choice: StyleChoice,
  label: number,
  clusters: Clusters | null,
  options: { feat_num: number; classNames?: readonly string[]; what: string },
): InstanceStyle {
  const { feat_num: featNum, classNames = [], what } = options;
  const name = (id: number) => classNames[id] ? `${id} (${classNames[id]})` : `${id}`;
  if (typeof choice !== "number") {
    if (choice.length !== featNum || choice.some((v) => !Number.isFinite(v))) {
      throw new OptionsError(
        "style",
        what,
        `feature vector must have ${featNum} finite numbers (feat_num): current value is ${
          JSON.stringify(choice)
        }`,
      );
    }
    return { cluster: null, vector: [...choice] };
  }
  const centres = clusters?.centres.get(label);
  if (!centres) {
    const have = clusters ? [...clusters.centres.keys()].sort((a, b) => a - b).map(name).join(", ") : "";
    throw new OptionsError(
      "style",
      what,
      `asks for cluster ${choice} but class ${name(label)} has no clusters` +
        (clusters ? `; classes with clusters: ${have || "none"}` : " (no clusters file was given)") +
        `; give a feature vector instead`,
    );
  }
  if (!Number.isInteger(choice) || choice < 0 || choice >= centres.length) {
    throw new OptionsError(
      "style",
      what,
      `asks for cluster ${choice} but class ${name(label)} has ${centres.length} cluster(s): valid indices ` +
        `0…${centres.length - 1}`,
    );
  }
  return { cluster: choice, vector: [...centres[choice]] };
}

/**
 * The style of every instance of an instance map.
 *
 * @param ids the instance ids present, ascending
 * @param clusters the clusters (null: every instance without a vector gets zeros)
 * @param spec the user's choices and seed
 * @param options `feat_num`, `classNames` (for messages)
 * @returns id → style
 * @throws {OptionsError} for a chosen instance id that is not among `ids` (listing them), or a bad
 *   choice (see {@link styleOfChoice})
 */
export function resolveStyles(
  ids: readonly number[],
  clusters: Clusters | null,
  spec: StyleSpec,
  options: { feat_num: number; classNames?: readonly string[] },
): Map<number, InstanceStyle> {
  const present = new Set(ids);
  const missing = [...spec.instances.keys()].filter((id) => !present.has(id));
  if (missing.length > 0) {
    throw new OptionsError(
      "style",
      "instances",
      `name(s) instance ${missing.join(", ")}, not in this instance map; its instances: ${ids.join(", ")}`,
    );
  }
  for (const [label, choice] of spec.classes) {
    styleOfChoice(choice, label, clusters, { ...options, what: `class ${label}` });
  }
  const rng = new Rng(spec.seed);
  const styles = new Map<number, InstanceStyle>();
  for (const id of [...ids].sort((a, b) => a - b)) {
    const label = classOfInstance(id);
    const centres = clusters?.centres.get(label);
    const drawn = centres ? rng.int(centres.length) : null;
    const choice = spec.instances.get(id) ?? spec.classes.get(label) ?? drawn;
    styles.set(
      id,
      choice === null
        ? { cluster: null, vector: new Array(options.feat_num).fill(0) }
        : styleOfChoice(choice, label, clusters, { ...options, what: `instance ${id}` }),
    );
  }
  return styles;
}

/**
 * Paints each instance's vector over its pixels.
 *
 * @param inst the instance map (1 channel)
 * @param styles id → style; ids without one get zeros
 * @param featNum feature channels
 * @returns NHWC data `[H, W, feat_num]`
 */
export function paintFeatures(
  inst: Raster<Int32Array>,
  styles: ReadonlyMap<number, InstanceStyle>,
  featNum: number,
): Float32Array {
  const out = new Float32Array(inst.data.length * featNum);
  let lastId = NaN, vector: readonly number[] | undefined;
  for (let i = 0; i < inst.data.length; i++) {
    if (inst.data[i] !== lastId) [lastId, vector] = [inst.data[i], styles.get(inst.data[i])?.vector];
    if (vector) { for (let k = 0; k < featNum; k++) out[i * featNum + k] = vector[k]; }
  }
  return out;
}

/**
 * The feature map a generator with `instance_feat` takes at synthesis, for `synth`.
 *
 * @example
 * ```ts
 * const feat = featureMap(inst, clusters, parseStyleArg("car=3", CITYSCAPES_PALETTE.names, 0));
 * ```
 *
 * @param inst the instance map (H×W, 1 channel)
 * @param clusters the model's clusters (null: zeros except raw vectors)
 * @param spec choices per instance/class and the seed for the rest
 * @param options `classNames` (messages); `feat_num` (default: the clusters')
 * @returns a `[1, H, W, feat_num]` float32 tensor (the caller disposes it)
 * @throws {OptionsError} for a bad choice (see {@link resolveStyles}) or no feat_num at all
 */
export function featureMap(
  inst: Raster<Int32Array>,
  clusters: Clusters | null,
  spec: StyleSpec,
  options: { feat_num?: number; classNames?: readonly string[] } = {},
): tf.Tensor4D {
  const featNum = options.feat_num ?? clusters?.feat_num;
  if (!featNum) throw new OptionsError("style", "feat_num", "is needed when no clusters are given");
  const ids = [...instanceExtents(inst).keys()];
  const styles = resolveStyles(ids, clusters, spec, { feat_num: featNum, classNames: options.classNames });
  return tf.tensor4d(paintFeatures(inst, styles, featNum), [1, inst.height, inst.width, featNum]);
}

/**
 * The styles of an encoded image: each instance's vector is the encoder's instance-pooled value (the
 * same at all its pixels; read at its first pixel), as `--use_encoded_image` gives them.
 *
 * @param pooled the encoder's instance-pooled output, NHWC data `[H, W, feat_num]`
 * @param inst the instance map
 * @param featNum feature channels
 * @returns id → style (cluster null)
 */
export function stylesFromEncoded(
  pooled: Float32Array,
  inst: Raster<Int32Array>,
  featNum: number,
): Map<number, InstanceStyle> {
  const styles = new Map<number, InstanceStyle>();
  for (let i = 0; i < inst.data.length; i++) {
    const id = inst.data[i];
    if (styles.has(id)) continue;
    styles.set(id, { cluster: null, vector: Array.from(pooled.subarray(i * featNum, (i + 1) * featNum)) });
  }
  return styles;
}
