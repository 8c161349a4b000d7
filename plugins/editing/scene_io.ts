/**
 * Scenes on disk. A saved scene is a folder:
 *
 * - `label.png`: class ids, 8-bit grey (16-bit when label_nc > 256);
 * - `inst.png`: instance ids, 16-bit grey (Cityscapes-style `class*1000+k`);
 * - `features.json`: `{ "format": "pix2pixhd-deno-scene/1", "width", "height", "label_nc", "feat_num",
 *   "things": [24, …], "styles": { "26001": { "cluster": 3, "vector": [0.1, -0.2, 0.3] }, … } }`.
 *
 * A scene can also start from a dataset's label and instance maps, styles drawn from the clusters.
 *
 * @module
 */
import { join } from "node:path";
import { DataError } from "../../kernel/errors.ts";
import { writeFileAtomic } from "../../formats/atomic.ts";
import { readImageFile } from "../data/decode.ts";
import { checkInstanceDepth, toInstanceIds, toLabelIds } from "../data/maps.ts";
import type { Raster } from "../data/raster.ts";
import { checkClusters, type Clusters } from "../features/clusters.ts";
import { type InstanceStyle, resolveStyles } from "../features/feature_map.ts";
import { randomStyle, type StyleSpec } from "../features/style_spec.ts";
import { encodePng } from "../data/write_image.ts";
import { Scene, type SceneOptions } from "./scene.ts";

/** The format tag of `features.json`. */
export const SCENE_FORMAT = "pix2pixhd-deno-scene/1";

/** Options of a loaded scene that its files do not hold. */
export type LoadSceneOptions = Pick<SceneOptions, "classNames" | "clusters" | "max_history">;

function idsPng(data: Int32Array, width: number, height: number, bits: 8 | 16): Uint8Array {
  const out = bits === 8 ? Uint8Array.from(data) : Uint16Array.from(data);
  return encodePng({ width, height, channels: 1, data: out } as Raster<Uint8Array | Uint16Array>);
}

/**
 * Saves a scene to a folder (created if missing; each file replaced atomically).
 *
 * @param scene the scene
 * @param dir the folder
 * @throws {DataError} when an instance id does not fit 16 bits or a file cannot be written
 */
export async function saveScene(scene: Scene, dir: string): Promise<void> {
  const tooBig = scene.inst.find((id) => id < 0 || id > 65535);
  if (tooBig !== undefined) {
    throw new DataError(join(dir, "inst.png"), `instance id ${tooBig} does not fit a 16-bit PNG (0…65535)`);
  }
  await Deno.mkdir(dir, { recursive: true });
  const styles: Record<string, InstanceStyle> = {};
  for (const [id, style] of [...scene.styles].sort(([a], [b]) => a - b)) styles[String(id)] = style;
  const doc = {
    format: SCENE_FORMAT,
    width: scene.width,
    height: scene.height,
    label_nc: scene.label_nc,
    feat_num: scene.feat_num,
    things: [...scene.things].sort((a, b) => a - b),
    styles,
  };
  await writeFileAtomic(
    join(dir, "label.png"),
    idsPng(scene.label, scene.width, scene.height, scene.label_nc > 256 ? 16 : 8),
  );
  await writeFileAtomic(join(dir, "inst.png"), idsPng(scene.inst, scene.width, scene.height, 16));
  await writeFileAtomic(
    join(dir, "features.json"),
    new TextEncoder().encode(JSON.stringify(doc, null, 1) + "\n"),
  );
}

/**
 * Reads a label map and an instance map, checking that the instance map kept its ids.
 *
 * @param labelPath label PNG (class ids)
 * @param instPath instance PNG (16-bit ids)
 * @returns both rasters
 * @throws {DataError} for unreadable files, different sizes, or an 8-bit instance map that lost its ids
 */
export async function readMaps(
  labelPath: string,
  instPath: string,
): Promise<{ label: Raster<Int32Array>; inst: Raster<Int32Array> }> {
  const labelImage = await readImageFile(labelPath), instImage = await readImageFile(instPath);
  const label = toLabelIds(labelImage, labelPath), inst = toInstanceIds(instImage, instPath);
  if (label.width !== inst.width || label.height !== inst.height) {
    throw new DataError(
      instPath,
      `is ${inst.width}×${inst.height} but the label map ${labelPath} is ${label.width}×${label.height}`,
    );
  }
  checkInstanceDepth(inst, instImage.depth, label, instPath);
  return { label, inst };
}

function parseStyles(doc: Record<string, unknown>, file: string): Map<number, InstanceStyle> {
  const raw = doc.styles;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new DataError(file, `"styles" must be an object: instance id → { cluster, vector }`);
  }
  const styles = new Map<number, InstanceStyle>();
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const s = value as { cluster?: unknown; vector?: unknown };
    const ok = /^\d+$/.test(key) && s && (s.cluster === null || Number.isInteger(s.cluster)) &&
      Array.isArray(s.vector) && s.vector.every((v) => typeof v === "number");
    if (!ok) {
      throw new DataError(file, `style "${key}" must be { "cluster": integer or null, "vector": [numbers] }`);
    }
    styles.set(Number(key), { cluster: s.cluster as number | null, vector: s.vector as number[] });
  }
  return styles;
}

/**
 * Loads a scene saved by {@link saveScene}.
 *
 * @param dir the scene's folder
 * @param options class names, the model's clusters (checked against the scene's feat_num/label_nc), history
 * @returns the scene
 * @throws {DataError} for a missing or malformed file, maps of another size than `features.json` says,
 *   or clusters of another model
 */
export async function loadScene(dir: string, options: LoadSceneOptions = {}): Promise<Scene> {
  const file = join(dir, "features.json");
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found: is this a saved scene folder?"
      : (error as Error).message;
    throw new DataError(file, `cannot be read (${reason})`);
  }
  if (doc?.format !== SCENE_FORMAT) {
    throw new DataError(file, `is not a scene file: "format" must be "${SCENE_FORMAT}"`);
  }
  const { label_nc, feat_num, width, height, things } = doc as Record<string, number & number[]>;
  if (
    ![label_nc, width, height].every((v) => Number.isInteger(v) && v > 0) ||
    !(Number.isInteger(feat_num) && feat_num >= 0)
  ) {
    throw new DataError(file, `"width", "height", "label_nc" must be positive integers and "feat_num" ≥ 0`);
  }
  if (!Array.isArray(things) || !things.every(Number.isInteger)) {
    throw new DataError(file, `"things" must be a list of class ids`);
  }
  const { label, inst } = await readMaps(join(dir, "label.png"), join(dir, "inst.png"));
  if (label.width !== width || label.height !== height) {
    throw new DataError(
      join(dir, "label.png"),
      `is ${label.width}×${label.height} but ${file} says ${width}×${height}`,
    );
  }
  if (options.clusters) checkClusters(options.clusters, { feat_num, label_nc }, file);
  try {
    return Scene.create(label, inst, parseStyles(doc, file), { ...options, label_nc, feat_num, things });
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(file, (error as Error).message);
  }
}

/**
 * A scene from a dataset's label and instance maps; each instance's style is drawn from the clusters
 * as synthesis does (or chosen by `style`).
 *
 * @param labelPath label PNG
 * @param instPath instance PNG (16-bit)
 * @param options label_nc, feat_num, clusters, class names, thing classes, `style` (default: random, seed 0)
 * @returns the scene
 * @throws {DataError} for unreadable or mismatched maps, classes outside label_nc, or clusters of another model
 * @throws {OptionsError} for a bad style choice
 */
export async function sceneFromMaps(
  labelPath: string,
  instPath: string,
  options: SceneOptions & { style?: StyleSpec },
): Promise<Scene> {
  const { label, inst } = await readMaps(labelPath, instPath);
  const clusters: Clusters | null = options.clusters ?? null;
  if (clusters) checkClusters(clusters, options, "the clusters");
  const ids = [...new Set(inst.data)].sort((a, b) => a - b);
  const styles = options.feat_num > 0
    ? resolveStyles(ids, clusters, options.style ?? randomStyle(0), options)
    : new Map<number, InstanceStyle>();
  try {
    return Scene.create(label, inst, styles, options);
  } catch (error) {
    throw new DataError(labelPath, (error as Error).message);
  }
}
