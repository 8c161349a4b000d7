/**
 * Reading one sample's files (label map, instance map, photo, feature map) and preprocessing them, on
 * plain typed arrays: this runs in a worker for prefetching, or inline. Sizes are checked against the
 * label map, 8-bit instance maps are checked for lost ids. Instance maps are always resized with
 * nearest neighbours; with label_nc 0 the official AlignedDataset resizes them with the RGB input's
 * bicubic transform, which makes boundaries that are not between instances (the same result when no
 * resizing happens, e.g. `--resize_or_crop none` or a crop).
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import { readImageFile } from "./decode.ts";
import { checkInstanceDepth, toInstanceIds, toLabelIds, toRgb } from "./maps.ts";
import type { Palette } from "./palette.ts";
import {
  applyPlan,
  type Draws,
  type GeometryPlan,
  planGeometry,
  type PreprocessOptions,
} from "./preprocess.ts";
import type { Raster } from "./raster.ts";

/** The files of one sample. */
export interface Entry {
  /** Sample name (the file name stem shared by its files). */
  name: string;
  /** Label map (or, with `labelMasks`, the folder of its masks). */
  label: string;
  /** Per-class mask images (class i = index i) whose per-pixel argmax is the label (Helen). */
  labelMasks?: string[];
  /** Instance map. */
  inst?: string;
  /** Photo. */
  image?: string;
  /** Precomputed feature map (`{phase}_feat`). */
  feat?: string;
}

/** How files are read (structured-cloneable, sent to workers). */
export interface ReadOptions {
  /** Number of label classes; 0 means the label is an RGB image. */
  label_nc: number;
  /** Preprocessing. */
  preprocess: PreprocessOptions;
  /** Colours → ids for colour-coded (RGB) label maps. */
  palette: Palette | null;
  /** Check that 8-bit instance maps have not lost ids (Cityscapes-style ids class*1000+k). */
  check_inst_ids: boolean;
}

/** A read, preprocessed sample as typed arrays. */
export interface RawSample {
  entry: Entry;
  plan: GeometryPlan;
  /** Class ids (1 channel, Int32) or, for label_nc=0, an RGB image. */
  label: Raster<Int32Array> | Raster<Uint8Array>;
  inst?: Raster<Int32Array>;
  image?: Raster<Uint8Array>;
  feat?: Raster<Uint8Array>;
}

function checkSize(r: Raster, file: string, label: Raster, labelFile: string): void {
  if (r.width !== label.width || r.height !== label.height) {
    throw new DataError(
      file,
      `is ${r.width}×${r.height} but its label map ${labelFile} is ${label.width}×${label.height}; ` +
        `the maps and photo of a sample must have the same size`,
    );
  }
}

/**
 * A label map from per-class masks: each pixel gets the index of its strongest mask (ties: lower index).
 *
 * @param files mask files, class 0 first
 * @param dir their folder, named when there are none
 * @returns a 1-channel id raster
 * @throws {DataError} when masks differ in size or are unreadable
 */
export async function readMasksArgmax(files: string[], dir: string): Promise<Raster<Int32Array>> {
  let best: Uint8Array | Uint16Array | undefined;
  let ids: Int32Array | undefined;
  let size = { width: 0, height: 0 };
  for (let k = 0; k < files.length; k++) {
    const mask = await readImageFile(files[k]);
    if (!best || !ids) {
      size = { width: mask.width, height: mask.height };
      best = new Uint16Array(mask.width * mask.height);
      ids = new Int32Array(mask.width * mask.height);
    } else if (mask.width !== size.width || mask.height !== size.height) {
      throw new DataError(
        files[k],
        `is ${mask.width}×${mask.height} but ${files[0]} is ${size.width}×${size.height}`,
      );
    }
    const c = mask.channels;
    for (let i = 0; i < ids.length; i++) {
      const v = mask.data[i * c];
      if (k === 0 || v > best[i]) {
        best[i] = v;
        ids[i] = k;
      }
    }
  }
  if (!ids) throw new DataError(dir, "has no label masks");
  return { ...size, channels: 1, data: ids };
}

/**
 * Reads and preprocesses one sample.
 *
 * @param entry the sample's files
 * @param opts how to read them
 * @param draws the sample's random draws (crop, flip)
 * @returns the sample as typed arrays at the network's input size
 * @throws {DataError} for an unreadable file, maps of different sizes, or an 8-bit instance map with lost ids
 */
export async function readRawSample(entry: Entry, opts: ReadOptions, draws: Draws): Promise<RawSample> {
  let label: Raster<Int32Array> | Raster<Uint8Array>;
  if (entry.labelMasks) label = await readMasksArgmax(entry.labelMasks, entry.label);
  else {
    const decoded = await readImageFile(entry.label);
    label = opts.label_nc === 0
      ? toRgb(decoded)
      : toLabelIds(decoded, entry.label, opts.palette ?? undefined);
  }
  let inst: Raster<Int32Array> | undefined;
  if (entry.inst) {
    const decoded = await readImageFile(entry.inst);
    inst = toInstanceIds(decoded, entry.inst);
    checkSize(inst, entry.inst, label, entry.label);
    if (opts.check_inst_ids && opts.label_nc > 0) checkInstanceDepth(inst, decoded.depth, label, entry.inst);
  }
  const readRgb = async (file: string | undefined) => {
    if (!file) return undefined;
    const rgb = toRgb(await readImageFile(file));
    checkSize(rgb, file, label, entry.label);
    return rgb;
  };
  const image = await readRgb(entry.image);
  const feat = await readRgb(entry.feat);
  const plan = planGeometry(label.width, label.height, opts.preprocess, draws, entry.label);
  const labelMethod = opts.label_nc === 0 ? "bicubic" : "nearest";
  return {
    entry,
    plan,
    label: applyPlan(label as Raster<Int32Array>, plan, labelMethod),
    inst: inst && applyPlan(inst, plan, "nearest"),
    image: image && applyPlan(image, plan, "bicubic"),
    feat: feat && applyPlan(feat, plan, "nearest"),
  };
}
