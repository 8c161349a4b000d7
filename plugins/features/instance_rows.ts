/**
 * The per-instance feature rows of the official `encode_features.py` (`Pix2PixHDModel.encode_features`):
 * for every instance id of an image, the encoder's instance-pooled value at the instance's middle pixel
 * (index `num // 2` of its pixels in raster order) and, as a last column, its relative area
 * `num / (h·w // 32)`. Rows are grouped by class (`id < 1000 ? id : floor(id / 1000)`).
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import type { Raster } from "../data/raster.ts";
import { classOfInstance } from "../data/maps.ts";

/** The official `block_num`: the area column is `num / (h·w // BLOCK_NUM)`. */
export const BLOCK_NUM = 32;

/** The official area filter: rows whose area column is not above this are left out of clustering. */
export const MIN_AREA = 0.5;

/** Feature rows by class id: each row is `feat_num` values then the area. */
export type FeatureRows = Map<number, number[][]>;

/** Where each instance id's pixels are: count and the raster index of its middle pixel. */
interface InstanceExtent {
  count: number;
  middle: number;
}

/**
 * For each instance id, its pixel count and the raster index of its pixel number `count // 2` (in
 * raster order, as `torch.nonzero` lists them).
 *
 * @param inst a 1-channel instance map
 * @returns id → extent, ids ascending (as `np.unique` orders them)
 */
export function instanceExtents(inst: Raster<Int32Array>): Map<number, InstanceExtent> {
  const counts = new Map<number, number>();
  for (const id of inst.data) counts.set(id, (counts.get(id) ?? 0) + 1);
  const wanted = new Map<number, number>();
  const seen = new Map<number, number>();
  const middle = new Map<number, number>();
  for (const [id, count] of counts) wanted.set(id, Math.floor(count / 2));
  for (let i = 0; i < inst.data.length; i++) {
    const id = inst.data[i];
    const k = seen.get(id) ?? 0;
    if (k === wanted.get(id)) middle.set(id, i);
    seen.set(id, k + 1);
  }
  const ids = [...counts.keys()].sort((a, b) => a - b);
  return new Map(ids.map((id) => [id, { count: counts.get(id)!, middle: middle.get(id)! }]));
}

/**
 * The feature rows of one image, exactly as the official `encode_features` builds them.
 *
 * @param pooled the encoder's instance-pooled output, NHWC `[1, H, W, feat_num]` data in a flat array
 * @param inst the image's instance map (H×W, 1 channel)
 * @param options `feat_num` (channels of `pooled`), `label_nc` (classes), `file` (named in errors)
 * @returns rows by class, each `[f_0 … f_{feat_num-1}, area]`
 * @throws {DataError} when `pooled` does not match the instance map's size, the image has under 32
 *   pixels, or an instance's class is not below `label_nc` (listing the offending ids)
 */
export function instanceFeatureRows(
  pooled: Float32Array,
  inst: Raster<Int32Array>,
  options: { feat_num: number; label_nc: number; file: string },
): FeatureRows {
  const { feat_num: featNum, label_nc: labelNc, file } = options;
  const pixels = inst.width * inst.height;
  if (inst.channels !== 1 || pooled.length !== pixels * featNum) {
    throw new DataError(
      file,
      `encoder features hold ${pooled.length} values but the ${inst.width}×${inst.height} instance map ` +
        `needs ${pixels}×${featNum} (feat_num): encoder output and instance map sizes differ`,
    );
  }
  const extents = instanceExtents(inst);
  const bad = [...extents.keys()].filter((id) => id < 0 || classOfInstance(id) >= labelNc);
  if (bad.length > 0) {
    throw new DataError(
      file,
      `instance id(s) ${bad.slice(0, 10).join(", ")} belong to classes outside 0…${labelNc - 1} ` +
        `(label_nc ${labelNc}): the instance map does not match the model's label_nc`,
    );
  }
  const denominator = Math.floor(pixels / BLOCK_NUM);
  if (denominator === 0) {
    throw new DataError(
      file,
      `a ${inst.width}×${inst.height} image has under ${BLOCK_NUM} pixels: no area column`,
    );
  }
  const rows: FeatureRows = new Map();
  for (const [id, { count, middle }] of extents) {
    const row = Array.from({ length: featNum + 1 }, (_, k) => k < featNum ? pooled[middle * featNum + k] : 0);
    row[featNum] = count / denominator;
    const label = classOfInstance(id);
    if (!rows.has(label)) rows.set(label, []);
    rows.get(label)!.push(row);
  }
  return rows;
}

/**
 * Appends one image's rows to the running collection (the official `np.append` per class).
 *
 * @param into rows collected so far (modified)
 * @param rows one image's rows
 */
export function appendRows(into: FeatureRows, rows: FeatureRows): void {
  for (const [label, list] of rows) {
    if (!into.has(label)) into.set(label, []);
    into.get(label)!.push(...list);
  }
}

/**
 * The official area filter: keeps the rows whose area is above {@link MIN_AREA} and drops the area
 * column (`feat[feat[:, -1] > 0.5, :-1]`).
 *
 * @param rows one class's rows
 * @returns the kept feature vectors
 */
export function filterByArea(rows: readonly number[][]): number[][] {
  return rows.filter((row) => row[row.length - 1] > MIN_AREA).map((row) => row.slice(0, -1));
}
