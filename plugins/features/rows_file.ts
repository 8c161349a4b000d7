/**
 * One image's feature rows on disk, what a shard of `encode_features` writes for every image it
 * encodes and `encode_features --merge` reads back (`<rows_dir>/<image name>.json`):
 *
 * ```json
 * { "format": "pix2pixhd-deno-feature-rows/1", "name": "aachen_000000_000019", "model": "checkpoints/x@latest",
 *   "label_nc": 35, "feat_num": 3, "rows": { "7": [[0.12, -0.3, 0.5, 14.2]], "26": […] } }
 * ```
 *
 * Each row is `feat_num` features then the area column, as instance_rows.ts makes them. JSON keeps
 * every float exactly (shortest round-trip decimal), so merged rows equal the ones a single process
 * holds in memory and K-means gives the same clusters.
 *
 * @module
 */
import { join } from "node:path";
import { DataError } from "../../kernel/errors.ts";
import { writeFileAtomic } from "../../formats/atomic.ts";
import type { FeatureRows } from "./instance_rows.ts";

/** The format tag of feature-rows files. */
export const ROWS_FORMAT = "pix2pixhd-deno-feature-rows/1";

/** The model a rows file must come from: its label_nc, feat_num and identity. */
export interface RowsModel {
  label_nc: number;
  feat_num: number;
  /** Which checkpoint encoded them (`<folder>@<which_epoch>`). */
  model: string;
}

/**
 * Where an image's rows go.
 *
 * @param dir the rows folder
 * @param name the image's name
 * @returns `<dir>/<name>.json`
 */
export function rowsPath(dir: string, name: string): string {
  return join(dir, `${name}.json`);
}

/**
 * Writes one image's rows atomically.
 *
 * @param path the file
 * @param name the image's name
 * @param rows its rows by class
 * @param model the model that encoded them
 * @throws {DataError} when the file cannot be written
 */
export async function saveRows(
  path: string,
  name: string,
  rows: FeatureRows,
  model: RowsModel,
): Promise<void> {
  const byClass: Record<string, number[][]> = {};
  for (const [label, list] of rows) byClass[String(label)] = list;
  const doc = { format: ROWS_FORMAT, name, ...model, rows: byClass };
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(doc) + "\n"));
}

/**
 * Reads one image's rows and checks they come from this model.
 *
 * @param path the file
 * @param model the model they must come from
 * @returns rows by class, classes ascending, rows in the order they were written
 * @throws {Deno.errors.NotFound} when the file does not exist
 * @throws {DataError} when it is not a rows file, comes from another model, or holds malformed rows
 */
export async function loadRows(path: string, model: RowsModel): Promise<FeatureRows> {
  const text = await Deno.readTextFile(path);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new DataError(
      path,
      `is not valid JSON (${(error as Error).message}): delete it and rerun its shard`,
    );
  }
  if (doc?.format !== ROWS_FORMAT) {
    throw new DataError(path, `is not a feature-rows file: "format" must be "${ROWS_FORMAT}"`);
  }
  for (const key of ["model", "label_nc", "feat_num"] as const) {
    if (doc[key] !== model[key]) {
      throw new DataError(
        path,
        `was encoded with ${key} ${JSON.stringify(doc[key])} but this run has ${
          JSON.stringify(model[key])
        }: ` +
          `it is left from another model; empty the rows folder and rerun the shards`,
      );
    }
  }
  const rows: FeatureRows = new Map();
  const byClass = doc.rows as Record<string, unknown>;
  for (const [key, list] of Object.entries(byClass ?? {})) {
    const label = Number(key);
    const ok = Number.isInteger(label) && label >= 0 && label < model.label_nc && Array.isArray(list) &&
      list.every((row) =>
        Array.isArray(row) && row.length === model.feat_num + 1 && row.every((v) => typeof v === "number")
      );
    if (!ok) {
      throw new DataError(
        path,
        `class "${key}" must map to rows of ${model.feat_num + 1} numbers (feat_num features, then the area)`,
      );
    }
    rows.set(label, list as number[][]);
  }
  return rows;
}
