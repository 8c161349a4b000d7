/**
 * Finding a dataset's files and pairing them across folders: image files are listed recursively and
 * sorted (as the official `make_dataset` does), then paired by name (`match: "name"`, comparing the
 * file stems without known suffixes such as `_gtFine_labelIds` or `_leftImg8bit`) or by sorted
 * position only (`match: "order"`, the official behaviour). Every disagreement becomes a `Problem`.
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import type { Problem } from "./source.ts";
import type { Entry } from "./sample_reader.ts";

/** The image extensions the official loader accepts. */
export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".tif", ".tiff"];

const SUFFIXES = [
  "_gtFine_labelIds",
  "_gtFine_instanceIds",
  "_gtFine_color",
  "_leftImg8bit",
  "_labelIds",
  "_instanceIds",
  "_label",
  "_inst",
  "_img",
  "_feat",
];

/**
 * The name that pairs a file with its partners: the file name without extension and known suffix.
 *
 * @param file a path
 * @returns its key, e.g. "aachen_000000_000019" for "…/aachen_000000_000019_gtFine_labelIds.png"
 */
export function stemKey(file: string): string {
  let stem = basename(file, extname(file));
  for (const s of SUFFIXES) {
    if (stem.endsWith(s) && stem.length > s.length) {
      stem = stem.slice(0, -s.length);
      break;
    }
  }
  return stem;
}

/**
 * Whether a folder exists.
 *
 * @param dir a path
 * @returns true for an existing directory
 */
export function isDir(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The image files under a folder, recursively, sorted by path.
 *
 * @param dir the folder
 * @param suffix only files whose name ends with this (e.g. "_gtFine_labelIds.png")
 * @returns sorted paths ([] when the folder does not exist)
 */
export function listImages(dir: string, suffix = ""): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()) && e.name.endsWith(suffix)) {
        out.push(p);
      }
    }
  };
  if (isDir(dir)) walk(dir);
  return out.sort();
}

/** One folder of a dataset: its role in a sample and its files. */
export interface Folder {
  /** "label", "inst", "image" or "feat". */
  role: "label" | "inst" | "image" | "feat";
  dir: string;
  files: string[];
}

/** What to do when a folder the options ask for does not exist. */
const MISSING_FOLDER_FIX: Record<Folder["role"], string> = {
  label: "put the label maps there",
  inst: "add the instance maps there, or pass --no_instance",
  image: "add the photos there",
  feat: "write the feature maps with `deno task precompute_feature_maps`, or drop --load_features",
};

/**
 * Pairs the files of a label folder with those of the other folders.
 *
 * @param label the label folder (defines the samples)
 * @param others the instance/photo/feature folders
 * @param match "name": pair by `stemKey`, reporting files without partner; "order": pair by sorted position
 * @returns the entries (only complete ones), the problems found and the file count per role
 */
export function matchFolders(
  label: Folder,
  others: Folder[],
  match: "name" | "order",
): { entries: Entry[]; problems: Problem[]; counts: Record<string, number> } {
  const problems: Problem[] = [];
  const counts: Record<string, number> = {};
  for (const f of [label, ...others]) counts[f.role] = f.files.length;
  if (label.files.length === 0) {
    problems.push({
      file: label.dir,
      message: isDir(label.dir)
        ? "has no image files (.png, .jpg, …): put the label maps there"
        : "does not exist",
    });
    return { entries: [], problems, counts };
  }
  const entries: Entry[] = label.files.map((f) => ({ name: stemKey(f), label: f }));
  for (const folder of others) {
    if (folder.files.length === 0) {
      problems.push({
        file: folder.dir,
        message: isDir(folder.dir)
          ? `has no image files but ${label.dir} has ${label.files.length}: add them or remove the folder`
          : `does not exist but ${label.dir} has ${label.files.length} file(s): ${
            MISSING_FOLDER_FIX[folder.role]
          }`,
      });
      continue;
    }
    if (match === "order") {
      if (folder.files.length !== label.files.length) {
        problems.push({
          file: folder.dir,
          message: `has ${folder.files.length} files but ${label.dir} has ${label.files.length}: ` +
            `every label map needs exactly one partner file`,
        });
        continue;
      }
      folder.files.forEach((f, i) => entries[i][folder.role] = f);
      continue;
    }
    const byKey = new Map<string, string>();
    for (const f of folder.files) {
      const key = stemKey(f);
      const other = byKey.get(key);
      if (other) problems.push({ file: f, message: `has the same name as ${other}: keep one of them` });
      else byKey.set(key, f);
    }
    const used = new Set<string>();
    for (const e of entries) {
      const f = byKey.get(e.name);
      if (f) {
        e[folder.role] = f;
        used.add(e.name);
      } else {
        problems.push({
          file: e.label,
          message:
            `has no partner in ${folder.dir} (expected a file named ${e.name}*): add it or remove the label map`,
        });
      }
    }
    for (const [key, f] of byKey) {
      if (!used.has(key)) {
        problems.push({
          file: f,
          message:
            `has no label map in ${label.dir} (expected a file named ${key}*): add it or remove the file`,
        });
      }
    }
  }
  const roles = others.filter((f) => f.files.length > 0).map((f) => f.role);
  return { entries: entries.filter((e) => roles.every((r) => e[r] !== undefined)), problems, counts };
}
