/**
 * Where the studio's scenes come from: a dataset folder's label/instance maps (listed by name), a label
 * map given on the command line, uploaded PNG bytes, or an uploaded scene zip (`label.png`, `inst.png`,
 * `features.json`, as the studio downloads it). Maps are scaled (nearest) to the width the model works
 * at, and get their styles drawn from the model's clusters.
 *
 * @module
 */
import { basename, join } from "node:path";
import { unzipSync } from "fflate";
import { DataError } from "../../kernel/errors.ts";
import { decodeImage, readImageFile } from "../data/decode.ts";
import { checkInstanceDepth, toInstanceIds, toLabelIds } from "../data/maps.ts";
import type { Raster } from "../data/raster.ts";
import { resizeNearest } from "../data/resize.ts";
import { listImages } from "../data/match_files.ts";
import type { Clusters } from "../features/clusters.ts";
import { resolveStyles } from "../features/feature_map.ts";
import { randomStyle } from "../features/style_spec.ts";
import { Scene } from "../editing/scene.ts";
import { loadScene } from "../editing/scene_io.ts";

/** What a scene is made for: the model's classes, features, clusters, names and working width. */
export interface SceneModel {
  label_nc: number;
  feat_num: number;
  clusters: Clusters | null;
  classNames: readonly string[];
  /** Maps are scaled to this width (aspect kept); 0 keeps their size. */
  width: number;
}

/** One scene of a dataset folder. */
export interface DatasetEntry {
  /** Its name in the list (the label file's name). */
  name: string;
  label: string;
  /** Its instance map, or null (then the label map serves as instance map). */
  inst: string | null;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const starts = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** Undo steps kept per scene in the studio. */
const HISTORY = 500;

/**
 * The scenes of a dataset folder: every `*_label` folder's maps, paired with the `*_inst` folder's by
 * name (Cityscapes' `_gtFine_labelIds` / `_gtFine_instanceIds` suffixes are matched too).
 *
 * @param dataroot the dataset folder (e.g. `datasets/cityscapes`)
 * @returns the entries, test scenes first, then by name
 */
export function listDataset(dataroot: string): DatasetEntry[] {
  const out: DatasetEntry[] = [];
  let folders: string[];
  try {
    folders = [...Deno.readDirSync(dataroot)].filter((e) => e.isDirectory && e.name.endsWith("_label"))
      .map((e) => e.name).sort((a, b) =>
        (a.startsWith("test") ? -1 : 0) - (b.startsWith("test") ? -1 : 0) ||
        a.localeCompare(b)
      );
  } catch {
    return [];
  }
  const key = (file: string) =>
    basename(file).replace(/(_gtFine)?_(labelIds|instanceIds)?\.png$|\.png$/i, "");
  for (const folder of folders) {
    const insts = new Map(
      listImages(join(dataroot, folder.replace(/_label$/, "_inst"))).map((f) => [key(f), f]),
    );
    for (const label of listImages(join(dataroot, folder))) {
      if (!label.toLowerCase().endsWith(".png")) continue;
      out.push({ name: `${folder}/${basename(label)}`, label, inst: insts.get(key(label)) ?? null });
    }
  }
  return out;
}

function scaled(map: Raster<Int32Array>, width: number): Raster<Int32Array> {
  if (width <= 0 || width === map.width) return map;
  return resizeNearest(map, width, Math.max(1, Math.round((map.height * width) / map.width)));
}

/**
 * A scene from a label map and an optional instance map (decoded images).
 *
 * @param label the label map's pixels and its name (in messages)
 * @param inst the instance map's pixels and name, or null: the label ids serve as instance ids
 * @param model classes, features, clusters, names, working width
 * @param seed seed of the styles drawn from the clusters
 * @returns the scene
 * @throws {DataError} naming the file: not a greyscale id map, maps of different sizes, an 8-bit instance
 *   map that lost its ids, or a class id ≥ label_nc
 */
export async function sceneFromImages(
  label: { bytes: Uint8Array; name: string },
  inst: { bytes: Uint8Array; name: string } | null,
  model: SceneModel,
  seed = 0,
): Promise<Scene> {
  for (const file of inst ? [label, inst] : [label]) {
    if (!starts(file.bytes, PNG_MAGIC)) {
      throw new DataError(
        file.name,
        file.bytes.length === 0
          ? "is empty"
          : "is not a PNG file: label and instance maps must be PNG id maps",
      );
    }
  }
  const labelImage = await decodeImage(label.bytes, label.name);
  const labelIds = toLabelIds(labelImage, label.name);
  let instIds = labelIds;
  if (inst) {
    const instImage = await decodeImage(inst.bytes, inst.name);
    instIds = toInstanceIds(instImage, inst.name);
    if (instIds.width !== labelIds.width || instIds.height !== labelIds.height) {
      throw new DataError(
        inst.name,
        `is ${instIds.width}×${instIds.height} but the label map ${label.name} is ${labelIds.width}×${labelIds.height}`,
      );
    }
    checkInstanceDepth(instIds, instImage.depth, labelIds, inst.name);
  }
  const bad = labelIds.data.find((v) => v >= model.label_nc);
  if (bad !== undefined) {
    throw new DataError(
      label.name,
      `has class id ${bad}, but the model knows classes 0…${model.label_nc - 1} (label_nc ${model.label_nc})`,
    );
  }
  const labelMap = scaled(labelIds, model.width), instMap = scaled(instIds, model.width);
  const ids = [...new Set(instMap.data)].sort((a, b) => a - b);
  const styles = model.feat_num > 0
    ? resolveStyles(ids, model.clusters, randomStyle(seed), model)
    : new Map();
  try {
    return Scene.create(labelMap, instMap, styles, { ...model, max_history: HISTORY });
  } catch (error) {
    throw new DataError(label.name, (error as Error).message);
  }
}

/**
 * A scene from a dataset entry or a label file given by path.
 *
 * @param entry the label and instance files
 * @param model classes, features, clusters, names, working width
 * @returns the scene
 * @throws {DataError} for unreadable or invalid maps (see {@link sceneFromImages})
 */
export async function sceneFromFiles(
  entry: { label: string; inst: string | null },
  model: SceneModel,
): Promise<Scene> {
  const read = async (file: string) => {
    await readImageFile(file); // a clear message for a missing or unreadable file
    return { bytes: await Deno.readFile(file), name: file };
  };
  return await sceneFromImages(await read(entry.label), entry.inst ? await read(entry.inst) : null, model);
}

/**
 * A scene from a zip of a saved scene folder (what the studio's "save scene" downloads).
 *
 * @param bytes the zip's contents
 * @param name the upload's name, in messages
 * @param model the model's clusters and names (its label_nc and feat_num must match the scene's)
 * @returns the scene
 * @throws {DataError} for a zip without the scene files, or a scene of another model
 */
export async function sceneFromZip(bytes: Uint8Array, name: string, model: SceneModel): Promise<Scene> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new DataError(name, `is not a readable zip (${(error as Error).message})`);
  }
  const byBase = new Map(Object.entries(files).map(([path, data]) => [basename(path), data]));
  const missing = ["label.png", "inst.png", "features.json"].filter((f) => !byBase.has(f));
  if (missing.length) {
    throw new DataError(name, `is not a saved scene: it lacks ${missing.join(", ")}`);
  }
  const dir = await Deno.makeTempDir({ prefix: "studio-scene-" });
  try {
    for (const f of ["label.png", "inst.png", "features.json"]) {
      await Deno.writeFile(join(dir, f), byBase.get(f)!);
    }
    const scene = await loadScene(dir, {
      clusters: model.clusters,
      classNames: model.classNames,
      max_history: HISTORY,
    });
    if (scene.label_nc !== model.label_nc || scene.feat_num !== model.feat_num) {
      throw new DataError(
        name,
        `is a scene for label_nc ${scene.label_nc}, feat_num ${scene.feat_num}; this model has ${model.label_nc}, ${model.feat_num}`,
      );
    }
    return scene;
  } catch (error) {
    if (error instanceof DataError && error.file.startsWith(dir)) {
      throw new DataError(name, error.message.replaceAll(dir + "/", ""));
    }
    throw error;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Tells an upload's kind by its first bytes.
 *
 * @param bytes the upload
 * @returns "png", "zip" or "other"
 */
export function uploadKind(bytes: Uint8Array): "png" | "zip" | "other" {
  return starts(bytes, PNG_MAGIC) ? "png" : starts(bytes, ZIP_MAGIC) ? "zip" : "other";
}
