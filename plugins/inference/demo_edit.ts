/**
 * The demo's edit sequence, made with the editing API (`plugins/editing`): one scene at the demo's
 * width, then the official editing moves — the largest car removed (its surroundings grow in), the
 * buildings relabelled as vegetation — and both undone, each state synthesized on the demo's runtime.
 *
 * @module
 */
import { join } from "node:path";
import { CITYSCAPES_PALETTE } from "../data/palettes/cityscapes.ts";
import { resizeNearest } from "../data/resize.ts";
import { imageToRaster, writePng } from "../data/write_image.ts";
import { findClustersFile, loadClusters } from "../features/clusters.ts";
import { resolveStyles } from "../features/feature_map.ts";
import { randomStyle } from "../features/style_spec.ts";
import { loadTrainedModel, synthesizePadded } from "../features/trained_model.ts";
import { SceneRenderer, type Synthesize } from "../editing/renderer.ts";
import { Scene } from "../editing/scene.ts";
import { readMaps } from "../editing/scene_io.ts";
import type { ReportRow } from "./report.ts";
import { intraOpThreads, type RuntimeOptions } from "./runtime_options.ts";
import { OnnxGenerator } from "./onnx_generator.ts";

/** What to edit. */
export interface DemoEditOptions {
  /** The model folder. */
  model: string;
  /** The scene's label and instance maps. */
  label: string;
  inst: string;
  /** Width the scene is edited and synthesized at (the height keeps the aspect ratio). */
  width: number;
  /** The report's images folder. */
  images: string;
  /** File name prefix of the images. */
  name: string;
  /** Which runtime runs the generator (default: tfjs). */
  runtime?: RuntimeOptions;
}

/** The edit sequence's report row and whether undoing gave back the first image exactly. */
export interface DemoEdit {
  row: ReportRow;
  /** The edits, in order. */
  edits: string[];
  /** The image after undoing every edit equals the first one, pixel for pixel. */
  undo_exact: boolean;
}

const CAR = 26, BUILDING = 11;

/**
 * Edits a scene and writes the image of every state.
 *
 * @param o the model, the maps, the width, where the images go
 * @returns the report row and what was done
 * @throws {CheckpointError}/{DataError} for a missing model, clusters or unreadable maps
 */
export async function renderEditSequence(o: DemoEditOptions): Promise<DemoEdit> {
  const model = await loadTrainedModel(o.model);
  const onnx = o.runtime?.runtime === "onnxruntime"
    ? await OnnxGenerator.open(model.G, { threads: intraOpThreads(o.runtime), file: o.model })
      .catch((error) => {
        model.dispose();
        throw error;
      })
    : null;
  try {
    const synthesize: Synthesize = onnx
      ? (input) => synthesizePadded(input, model.multiple, (x) => onnx.apply(x))
      : model.synthesize;
    const maps = await readMaps(o.label, o.inst);
    const height = Math.floor((o.width * maps.label.height) / maps.label.width);
    const label = resizeNearest(maps.label, o.width, height),
      inst = resizeNearest(maps.inst, o.width, height);
    const fit = { feat_num: model.feat_num, label_nc: model.label_nc };
    const clustersFile = model.feat_num > 0 ? findClustersFile(o.model) : null;
    const clusters = clustersFile ? await loadClusters(clustersFile, fit) : null;
    const classNames = CITYSCAPES_PALETTE.names;
    const ids = [...new Set(inst.data)].sort((a, b) => a - b);
    const styles = model.feat_num > 0
      ? resolveStyles(ids, clusters, randomStyle(0), { feat_num: model.feat_num, classNames })
      : new Map();
    const scene = Scene.create(label, inst, styles, { ...fit, clusters, classNames });
    const renderer = new SceneRenderer(scene, synthesize, {
      no_instance: model.no_instance,
      multiple: model.multiple,
    });
    const row: ReportRow = { name: "", images: [] };
    const shots: Uint8Array[] = [];
    const shoot = async (caption: string, file: string) => {
      const image = await renderer.render();
      const raster = await imageToRaster(image);
      image.dispose();
      await writePng(join(o.images, `${o.name}_${file}.png`), raster);
      row.images.push({ label: caption, src: `images/${o.name}_${file}.png` });
      shots.push(raster.data);
    };
    try {
      await shoot("before", "edit0");
      const edits: string[] = [];
      const cars = scene.instances().filter((i) => i.classId === CAR).sort((a, b) => b.pixels - a.pixels);
      if (cars.length > 0) {
        scene.remove(cars[0].id);
        edits.push(`remove the largest car (${cars[0].id})`);
        await shoot(edits.at(-1)!, "edit1");
      }
      if (scene.inst.includes(BUILDING)) {
        scene.relabel(BUILDING, "vegetation");
        edits.push("building → vegetation");
        await shoot(edits.at(-1)!, "edit2");
      }
      while (scene.undo());
      await shoot(`undo ×${edits.length}`, "edit_undone");
      const [first, last] = [shots[0], shots.at(-1)!];
      const undo_exact = first.length === last.length && first.every((v, i) => v === last[i]);
      row.name = `${o.name}: an edit sequence (plugins/editing) — ${edits.join(", ")}, then undone` +
        (undo_exact ? " (the first image again, pixel for pixel)" : " (NOT the first image)");
      return { row, edits, undo_exact };
    } finally {
      renderer.dispose();
    }
  } finally {
    await onnx?.release();
    model.dispose();
  }
}
