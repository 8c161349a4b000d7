/**
 * One browser tab's editing session: a scene, its renderer, and the studio's edit operations on it
 * (JSON objects the page posts), each one undo step. Operations:
 *
 * - `{ op: "paint", class, points: [[x, y], …], radius }`: a brush stroke;
 * - `{ op: "fill", class, x, y }`: the connected region of (x, y)'s class takes `class`;
 * - `{ op: "relabel", id, class }`, `{ op: "remove", id }` (the surroundings grow in);
 * - `{ op: "duplicate" | "move", id, dx, dy }`: a copy of the object shifted (move: the original removed);
 * - `{ op: "style", id, cluster }` or `{ op: "style", id, random: true }`;
 * - `{ op: "undo" }`, `{ op: "redo" }`, `{ op: "reset" }` (back to the scene as opened, one undoable step).
 *
 * @module
 */
import { classOfInstance } from "../data/maps.ts";
import { resizeNearest } from "../data/resize.ts";
import { imageToPng } from "../data/write_image.ts";
import type { TrainedModel } from "../features/trained_model.ts";
import { SceneRenderer } from "../editing/renderer.ts";
import { Scene } from "../editing/scene.ts";
import type { Point } from "../editing/geometry.ts";

/** A request the studio cannot carry out, with the message the page shows (HTTP 400). */
export class RequestError extends Error {
  /** @param message what is wrong with the request */
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}

/** What the page learns after each operation. */
export interface SessionState {
  source: string;
  width: number;
  height: number;
  /** Names the scene's state; renders are requested for it. */
  stateId: number;
  /** Names the label and instance maps (the page re-reads them when it changes). */
  geometryId: number;
  canUndo: boolean;
  canRedo: boolean;
  /** The last edit done, if any. */
  last: string | null;
  /** The width of the quick preview rendered first, or null when the scene is small enough. */
  preview: number | null;
}

/** Bytes of rendered PNGs a session keeps (by state), so undo and redo show the very image seen before. */
const PNG_CACHE_BYTES = 64 * 2 ** 20;

/** Scenes wider than this get a quick preview at half, quarter, … width first. */
export const PREVIEW_WIDTH = 512;

/**
 * The width of a scene's quick preview.
 *
 * @param width the scene's width
 * @returns the largest width/2^k ≤ {@link PREVIEW_WIDTH}, or null when the scene is not wider than that
 */
export function previewWidth(width: number): number | null {
  if (width <= PREVIEW_WIDTH) return null;
  let w = width;
  while (w > PREVIEW_WIDTH) w /= 2;
  return Math.max(1, Math.round(w));
}

function num(body: Record<string, unknown>, key: string, min = -Infinity): number {
  const value = body[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RequestError(
      `"${key}" must be an integer${min > -Infinity ? ` ≥ ${min}` : ""}: got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function points(body: Record<string, unknown>): Point[] {
  const value = body.points;
  const ok = Array.isArray(value) && value.length > 0 && value.length <= 10000 &&
    value.every((p) =>
      Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === "number" && Number.isFinite(v))
    );
  if (!ok) throw new RequestError(`"points" must be a list of 1 to 10000 [x, y] pairs`);
  return (value as [number, number][]).map(([x, y]) => [Math.round(x), Math.round(y)]);
}

/** A scene being edited, its renderer, and its undo groups. */
export class StudioSession {
  /** Where the scene came from. */
  source: string;
  #scene: Scene;
  #renderer: SceneRenderer;
  readonly #initial: Scene;
  readonly #model: TrainedModel;
  /** Scene undo steps per studio operation (move is two). */
  #groups: number[] = [];
  #redoGroups: number[] = [];
  /** Rendered PNGs by state id, oldest first. */
  #pngs = new Map<number, Uint8Array>();
  /** Whether the scene was created as opened (its own `reset` goes back there). */
  #createdAsOpened: boolean;

  /**
   * @param model the generator the scene is rendered with
   * @param scene the scene (its current state)
   * @param initial the scene as opened (reset returns to it)
   * @param source where it came from
   */
  constructor(model: TrainedModel, scene: Scene, initial: Scene, source: string) {
    this.#model = model;
    this.#scene = scene;
    this.#initial = initial;
    this.source = source;
    this.#createdAsOpened = scene.history().done.length === 0 && sameScene(scene, initial);
    this.#renderer = this.#newRenderer(scene);
  }

  /** The scene being edited. */
  get scene(): Scene {
    return this.#scene;
  }

  /** The scene as opened. */
  get initial(): Scene {
    return this.#initial;
  }

  /**
   * The page's view of the session.
   *
   * @returns ids, size, undo/redo availability
   */
  state(): SessionState {
    const { done } = this.#scene.history();
    return {
      source: this.source,
      width: this.#scene.width,
      height: this.#scene.height,
      stateId: this.#scene.stateId,
      geometryId: this.#scene.geometryId,
      canUndo: this.#groups.length > 0,
      canRedo: this.#redoGroups.length > 0,
      last: done.at(-1) ?? null,
      preview: previewWidth(this.#scene.width),
    };
  }

  /**
   * The label and instance maps as 16-bit values, label first (little-endian).
   *
   * @returns `2·W·H` values
   */
  maps(): Uint16Array {
    const n = this.#scene.width * this.#scene.height, out = new Uint16Array(2 * n);
    out.set(this.#scene.label);
    out.set(this.#scene.inst, n);
    return out;
  }

  /**
   * Carries out one operation (see the module's list).
   *
   * @param body the operation
   * @returns the instance to select afterwards (null: none)
   * @throws {RequestError} for a malformed operation
   * @throws {OptionsError} for an edit the scene refuses (unknown instance or class, …)
   */
  apply(body: Record<string, unknown>): number | null {
    const scene = this.#scene;
    switch (body.op) {
      case "undo":
        return this.#undo(), null;
      case "redo": {
        const n = this.#redoGroups.pop();
        if (n === undefined) return null;
        for (let i = 0; i < n; i++) scene.redo();
        this.#groups.push(n);
        return null;
      }
      case "reset":
        return this.#reset(), null;
      case "paint": {
        const radius = num(body, "radius", 1);
        return this.#edit(
          1,
          () => scene.paint({ class: num(body, "class", 0), points: points(body), radius }),
        );
      }
      case "fill":
        return this.#edit(1, () => this.#fill(num(body, "class", 0), num(body, "x"), num(body, "y")));
      case "relabel":
        return this.#edit(1, () => scene.relabel(num(body, "id", 0), num(body, "class", 0)));
      case "remove":
        this.#edit(1, () => scene.remove(num(body, "id", 0)));
        return null;
      case "duplicate":
      case "move":
        return this.#copy(body.op, num(body, "id", 0), num(body, "dx"), num(body, "dy"));
      case "style": {
        const id = num(body, "id", 0);
        const cluster = body.random === true ? this.#randomCluster(id) : num(body, "cluster", 0);
        this.#edit(1, () => scene.setStyle(id, cluster));
        return id;
      }
      default:
        throw new RequestError(
          `unknown operation ${
            JSON.stringify(body.op)
          }: use paint, fill, relabel, remove, duplicate, move, style, undo, redo or reset`,
        );
    }
  }

  /**
   * The current scene synthesized (the PNG of each state is kept, up to 64 MiB in all: undo and redo
   * give the very bytes shown before, even where the backend's kernels might round differently later).
   *
   * @returns PNG bytes
   */
  async png(): Promise<Uint8Array> {
    const id = this.#scene.stateId, cached = this.#pngs.get(id);
    if (cached) {
      this.#pngs.delete(id);
      this.#pngs.set(id, cached);
      return cached;
    }
    const image = await this.#renderer.render();
    let png: Uint8Array;
    try {
      png = await imageToPng(image);
    } finally {
      image.dispose();
    }
    this.#pngs.set(id, png);
    let total = [...this.#pngs.values()].reduce((n, b) => n + b.length, 0);
    for (const [key, bytes] of this.#pngs) {
      if (total <= PNG_CACHE_BYTES || key === id) break;
      this.#pngs.delete(key);
      total -= bytes.length;
    }
    return png;
  }

  /**
   * The current scene synthesized quickly: its maps scaled (nearest) to the preview width first.
   *
   * @returns PNG bytes (the full image when the scene needs no preview)
   */
  async previewPng(): Promise<Uint8Array> {
    const width = previewWidth(this.#scene.width);
    if (width === null) return await this.png();
    const renderer = this.#newRenderer(copyScene(this.#scene, width));
    try {
      const image = await renderer.render();
      try {
        return await imageToPng(image);
      } finally {
        image.dispose();
      }
    } finally {
      renderer.dispose();
    }
  }

  /**
   * One instance under each cluster of its class, side by side (crops around it).
   *
   * @param id the instance
   * @returns the strip as PNG and the number of styles in it
   * @throws {OptionsError} for an unknown instance or a class without clusters
   */
  async stylePreviews(id: number): Promise<{ png: Uint8Array; count: number }> {
    const strip = await this.#renderer.previewStyles(id);
    try {
      const count = this.#scene.clusters?.centres.get(classOfInstance(id))?.length ?? 0;
      return { png: await imageToPng(strip), count };
    } finally {
      strip.dispose();
    }
  }

  /** Frees the renderer's cached tensors. */
  dispose(): void {
    this.#renderer.dispose();
  }

  #newRenderer(scene: Scene): SceneRenderer {
    return new SceneRenderer(scene, this.#model.synthesize, {
      no_instance: this.#model.no_instance,
      multiple: this.#model.multiple,
    });
  }

  #edit<T>(steps: number, run: () => T): T {
    const result = run();
    this.#groups.push(steps);
    this.#redoGroups = [];
    return result;
  }

  #undo(): void {
    const n = this.#groups.pop();
    if (n === undefined) return;
    for (let i = 0; i < n; i++) this.#scene.undo();
    this.#redoGroups.push(n);
  }

  /**
   * Back to the scene as opened: the scene's own `reset` (one undoable step) when the scene was created
   * as opened; a session restored from its autosave starts over from the opened scene instead.
   */
  #reset(): void {
    if (this.#createdAsOpened) {
      if (this.#scene.reset()) {
        this.#groups.push(1);
        this.#redoGroups = [];
      }
      return;
    }
    const fresh = cloneScene(this.#initial);
    this.#pngs.clear(); // the new scene's state ids start again
    this.#renderer.dispose();
    this.#scene = fresh;
    this.#renderer = this.#newRenderer(fresh);
    this.#groups = [];
    this.#redoGroups = [];
    this.#createdAsOpened = true;
  }

  #fill(target: number, x: number, y: number): number {
    const scene = this.#scene, { width, height } = scene;
    if (x < 0 || y < 0 || x >= width || y >= height) {
      throw new RequestError(`fill at (${x}, ${y}) is outside the ${width}×${height} scene`);
    }
    const label = scene.label, from = label[y * width + x];
    if (from === target) {
      throw new RequestError(
        `the region at (${x}, ${y}) already is class ${scene.classNames[target] ?? target}`,
      );
    }
    const mask = new Uint8Array(width * height), stack = [y * width + x];
    mask[stack[0]] = 1;
    while (stack.length > 0) {
      const p = stack.pop()!, px = p % width;
      for (const q of [p - width, p + width, px > 0 ? p - 1 : -1, px < width - 1 ? p + 1 : -1]) {
        if (q >= 0 && q < mask.length && !mask[q] && label[q] === from) {
          mask[q] = 1;
          stack.push(q);
        }
      }
    }
    return scene.paste({ width, height, channels: 1, data: mask }, { class: target });
  }

  #copy(op: "duplicate" | "move", id: number, dx: number, dy: number): number {
    const scene = this.#scene;
    const info = scene.instance(id);
    const style = info.style ? (info.style.cluster ?? info.style.vector) : undefined;
    const newId = scene.paste(scene.mask(id), { class: info.classId, offset: [dx, dy], style });
    if (op === "duplicate" || !scene.inst.includes(id)) {
      this.#groups.push(1);
    } else {
      try {
        scene.remove(id);
      } catch (error) {
        scene.undo();
        throw error;
      }
      this.#groups.push(2);
    }
    this.#redoGroups = [];
    return newId;
  }

  #randomCluster(id: number): number {
    const info = this.#scene.instance(id);
    const k = this.#scene.clusters?.centres.get(info.classId)?.length ?? 0;
    if (k === 0) {
      throw new RequestError(
        `instance ${id} (${info.className || info.classId}) has no styles to choose from`,
      );
    }
    if (k === 1) return 0;
    const current = info.style?.cluster ?? -1;
    let pick = Math.floor(Math.random() * (k - 1));
    if (pick >= current && current >= 0) pick++;
    return pick;
  }
}

function sameScene(a: Scene, b: Scene): boolean {
  return a.width === b.width && a.height === b.height && a.label.every((v, i) => v === b.label[i]) &&
    a.inst.every((v, i) => v === b.inst[i]) &&
    JSON.stringify([...a.styles].sort()) === JSON.stringify([...b.styles].sort());
}

/**
 * A copy of a scene's current state, with an empty history.
 *
 * @param scene the scene
 * @returns the copy
 */
export function cloneScene(scene: Scene): Scene {
  return copyScene(scene, scene.width);
}

/** A copy of a scene's current state at another width (maps scaled nearest), with an empty history. */
function copyScene(scene: Scene, width: number): Scene {
  let label = scene.labelRaster(), inst = scene.instRaster();
  if (width !== scene.width) {
    const height = Math.max(1, Math.round((scene.height * width) / scene.width));
    label = resizeNearest(label, width, height);
    inst = resizeNearest(inst, width, height);
  }
  return Scene.create(label, inst, scene.styles, {
    label_nc: scene.label_nc,
    feat_num: scene.feat_num,
    classNames: scene.classNames,
    clusters: scene.clusters,
    things: scene.things,
    max_history: 500,
  });
}
