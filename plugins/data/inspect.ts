/**
 * Checking label maps and whole datasets before training: `inspectLabel` describes one label map
 * (size, bit depth, class histogram, instances with class/pixels/bbox, boundary pixels);
 * `inspectDataset` reads every sample of a dataset once and reports all problems in one pass (missing
 * or unmatched files, unreadable files, size mismatches, ids ≥ label_nc, 8-bit instance maps that lost
 * their ids) with counts, sizes, the largest label id and a suggested label_nc.
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import { tf } from "../../backends/tf.ts";
import { datasetOptionsOf, type DatasetPlugin } from "./dataset_plugin.ts";
import { datasetByName, detectDatasets, notALayoutMessage } from "./dataset_option.ts";
import { type DecodedImage, readImageFile } from "./decode.ts";
import { boundaryMap } from "./edges.ts";
import { checkInstanceDepth, classOfInstance, toInstanceIds, toLabelIds, toRgb } from "./maps.ts";
import type { Palette } from "./palette.ts";
import { loadPalette } from "./palettes/mod.ts";
import type { Raster } from "./raster.ts";
import { type Entry, readMasksArgmax } from "./sample_reader.ts";
import type { Problem } from "./source.ts";

/** One instance of an instance map. */
export interface InstanceInfo {
  id: number;
  /** `id < 1000 ? id : floor(id / 1000)`. */
  class: number;
  pixels: number;
  /** [x0, y0, x1, y1], inclusive. */
  bbox: [number, number, number, number];
}

/** What `inspectLabel` finds. */
export interface LabelReport {
  file: string;
  width: number;
  height: number;
  /** Bits per sample of the label file. */
  bitDepth: number;
  channels: number;
  /** Class id → pixel count, ids ascending. */
  histogram: Record<string, number>;
  instFile?: string;
  instBitDepth?: number;
  /** Instances, ids ascending (when an instance map is given). */
  instances?: InstanceInfo[];
  /** Pixels of the boundary map (from the instance map, else from the label map). */
  boundaryPixels: number;
  boundarySource: "inst" | "label";
  /** Everything wrong (empty when the label map is fine). */
  problems: Problem[];
}

function histogramOf(ids: Raster): Map<number, number> {
  const hist = new Map<number, number>();
  for (let i = 0; i < ids.data.length; i++) hist.set(ids.data[i], (hist.get(ids.data[i]) ?? 0) + 1);
  return new Map([...hist.entries()].sort((a, b) => a[0] - b[0]));
}

function instancesOf(inst: Raster): InstanceInfo[] {
  const info = new Map<number, InstanceInfo>();
  for (let i = 0; i < inst.data.length; i++) {
    const id = inst.data[i], x = i % inst.width, y = Math.floor(i / inst.width);
    const e = info.get(id);
    if (!e) info.set(id, { id, class: classOfInstance(id), pixels: 1, bbox: [x, y, x, y] });
    else {
      e.pixels++;
      e.bbox = [
        Math.min(e.bbox[0], x),
        Math.min(e.bbox[1], y),
        Math.max(e.bbox[2], x),
        Math.max(e.bbox[3], y),
      ];
    }
  }
  return [...info.values()].sort((a, b) => a.id - b.id);
}

function boundaryCount(ids: Raster): number {
  return tf.tidy(() => {
    const t = tf.tensor4d(Int32Array.from(ids.data), [1, ids.height, ids.width, 1], "int32");
    return tf.sum(boundaryMap(t)).dataSync()[0];
  });
}

function badIdProblem(file: string, hist: Map<number, number>, labelNc: number): Problem | undefined {
  const bad = [...hist.entries()].filter(([id]) => id < 0 || id >= labelNc);
  if (bad.length === 0) return undefined;
  const max = Math.max(...bad.map(([id]) => id));
  return {
    file,
    message: `has ${bad.map(([id, px]) => `id ${id} (${px} px)`).join(", ")} outside 0…${labelNc - 1} ` +
      `(label_nc ${labelNc}): raise label_nc to ${max + 1} or map them with unknown_label`,
  };
}

function errorProblem(error: unknown): Problem {
  if (error instanceof DataError) {
    return { file: error.file, message: error.message.slice(error.file.length + 2) };
  }
  throw error;
}

/**
 * Describes one label map (and its instance map).
 *
 * @param file the label map
 * @param opts `inst`: its instance map; `label_nc`: check ids against it; `palette`: for RGB label maps
 * @returns the report (problems listed, not thrown)
 * @throws {DataError} when the label map cannot be read or decoded
 */
export async function inspectLabel(
  file: string,
  opts: { inst?: string; label_nc?: number | null; palette?: Palette } = {},
): Promise<LabelReport> {
  await tf.ready();
  const decoded = await readImageFile(file);
  const ids = toLabelIds(decoded, file, opts.palette);
  const hist = histogramOf(ids);
  const problems: Problem[] = [];
  const report: LabelReport = {
    file,
    width: ids.width,
    height: ids.height,
    bitDepth: decoded.depth,
    channels: decoded.channels,
    histogram: Object.fromEntries([...hist.entries()].map(([k, v]) => [String(k), v])),
    boundaryPixels: 0,
    boundarySource: "label",
    problems,
  };
  if (opts.label_nc != null) {
    const p = badIdProblem(file, hist, opts.label_nc);
    if (p) problems.push(p);
  }
  let edgeIds: Raster = ids;
  if (opts.inst) {
    let instDecoded: DecodedImage | undefined;
    try {
      instDecoded = await readImageFile(opts.inst);
      const inst = toInstanceIds(instDecoded, opts.inst);
      report.instFile = opts.inst;
      report.instBitDepth = instDecoded.depth;
      if (inst.width !== ids.width || inst.height !== ids.height) {
        problems.push({
          file: opts.inst,
          message: `is ${inst.width}×${inst.height} but the label map is ${ids.width}×${ids.height}`,
        });
      } else {
        checkInstanceDepth(inst, instDecoded.depth, ids, opts.inst);
      }
      report.instances = instancesOf(inst);
      edgeIds = inst;
      report.boundarySource = "inst";
    } catch (error) {
      problems.push(errorProblem(error));
    }
  }
  report.boundaryPixels = boundaryCount(edgeIds);
  return report;
}

/** Options of `inspectDataset`. */
export interface InspectDatasetOptions {
  /** The dataset plugin, or a registered one's name; "auto" or none: detected from the layout. */
  dataset?: DatasetPlugin | string | null;
  /** Default "train". */
  phase?: string;
  /** Check ids against it; when missing a value is suggested. Default: the dataset's (35/151/11), null for aligned. */
  label_nc?: number | null;
  no_instance?: boolean;
  /** Also check the precomputed feature maps `{phase}_feat` (aligned layout). */
  load_features?: boolean;
  /** Palette name or JSON file for colour-coded label maps. */
  label_palette?: string | null;
  /** Progress callback: (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Read only some samples (a shard): given every sample's name, the names to read. */
  select?: (names: readonly string[]) => ReadonlySet<string>;
}

/** What `inspectDataset` finds. */
export interface DatasetReport {
  root: string;
  dataset: string;
  phase: string;
  folders: Record<string, string>;
  /** Files per role (label, inst, image, …). */
  counts: Record<string, number>;
  /** Complete samples. */
  samples: number;
  /** "W×H" → samples. */
  sizes: Record<string, number>;
  /** The largest class id found (-1 when no label map was readable). */
  maxLabelId: number;
  /** Class id → pixels over the whole dataset. */
  histogram: Record<string, number>;
  label_nc: number | null;
  /** maxLabelId + 1 when label_nc is not given or too small. */
  suggestedLabelNc?: number;
  problems: Problem[];
}

async function readLabel(entry: Entry, labelNc: number | null, palette?: Palette): Promise<Raster> {
  if (entry.labelMasks) return await readMasksArgmax(entry.labelMasks, entry.label);
  const decoded = await readImageFile(entry.label);
  return labelNc === 0 ? toRgb(decoded) : toLabelIds(decoded, entry.label, palette);
}

/**
 * Checks a whole dataset: reads every file once and lists every problem.
 *
 * @param root the dataset root
 * @param opts layout, phase, label_nc, no_instance, palette
 * @returns the report; `problems` is empty when the dataset is ready for training
 */
export async function inspectDataset(root: string, opts: InspectDatasetOptions = {}): Promise<DatasetReport> {
  const phase = opts.phase ?? "train";
  const chosen = typeof opts.dataset === "object" && opts.dataset
    ? [opts.dataset]
    : opts.dataset && opts.dataset !== "auto"
    ? [datasetByName(opts.dataset)]
    : detectDatasets(root, phase);
  const dataset = chosen.length === 1 ? chosen[0] : undefined;
  const labelNc = opts.label_nc !== undefined ? opts.label_nc : dataset?.dataset.label_nc ?? null;
  const report: DatasetReport = {
    root,
    dataset: dataset?.name ?? "unknown",
    phase,
    folders: {},
    counts: {},
    samples: 0,
    sizes: {},
    maxLabelId: -1,
    histogram: {},
    label_nc: labelNc,
    problems: [],
  };
  if (!dataset) {
    report.problems.push({
      file: root,
      message: chosen.length
        ? `holds the layouts of several datasets (${
          chosen.map((d) => d.name).join(", ")
        }): pass --dataset NAME`
        : notALayoutMessage(root, phase),
    });
    return report;
  }
  const o = datasetOptionsOf(dataset, {
    dataroot: root,
    phase,
    no_instance: opts.no_instance ?? false,
    label_nc: labelNc,
    load_features: opts.load_features ?? false,
  });
  const index = dataset.dataset.index(o);
  Object.assign(report, { folders: index.folders, counts: index.counts, samples: index.entries.length });
  report.problems.push(...index.problems);
  let palette: Palette | undefined;
  try {
    palette = opts.label_palette
      ? loadPalette(opts.label_palette)
      : dataset.dataset.labelColors?.(o) ?? undefined;
  } catch (error) {
    report.problems.push(errorProblem(error));
  }
  const hist = new Map<number, number>();
  const selected = opts.select?.(index.entries.map((entry) => entry.name));
  const entries = selected ? index.entries.filter((entry) => selected.has(entry.name)) : index.entries;
  for (const [i, entry] of entries.entries()) {
    opts.onProgress?.(i, entries.length);
    let ids: Raster;
    try {
      ids = await readLabel(entry, labelNc, palette);
    } catch (error) {
      report.problems.push(errorProblem(error));
      continue;
    }
    const size = `${ids.width}×${ids.height}`;
    report.sizes[size] = (report.sizes[size] ?? 0) + 1;
    if (labelNc !== 0) {
      const own = histogramOf(ids);
      for (const [id, px] of own) hist.set(id, (hist.get(id) ?? 0) + px);
      const p = labelNc === null ? undefined : badIdProblem(entry.label, own, labelNc);
      if (p) report.problems.push(p);
    }
    for (const role of ["inst", "image", "feat"] as const) {
      const file = entry[role];
      if (!file) continue;
      try {
        const decoded = await readImageFile(file);
        if (decoded.width !== ids.width || decoded.height !== ids.height) {
          throw new DataError(
            file,
            `is ${decoded.width}×${decoded.height} but its label map ${entry.label} is ${ids.width}×${ids.height}; ` +
              `the maps and photo of a sample must have the same size`,
          );
        }
        if (role === "inst" && labelNc !== 0) {
          checkInstanceDepth(toInstanceIds(decoded, file), decoded.depth, ids, file);
        }
      } catch (error) {
        report.problems.push(errorProblem(error));
      }
    }
  }
  opts.onProgress?.(entries.length, entries.length);
  const sorted = [...hist.entries()].sort((a, b) => a[0] - b[0]);
  report.histogram = Object.fromEntries(sorted.map(([k, v]) => [String(k), v]));
  report.maxLabelId = sorted.length ? sorted[sorted.length - 1][0] : -1;
  if (report.maxLabelId >= 0 && (labelNc === null || report.maxLabelId >= labelNc)) {
    report.suggestedLabelNc = report.maxLabelId + 1;
  }
  return report;
}
