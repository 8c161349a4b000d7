/**
 * The editing API over a scene: a label map, an instance map and one style (feature vector) per
 * instance. List instances; relabel, remove, paint, paste and restyle them; undo and redo any number
 * of steps; `reset` back to the scene as created (one undoable step). Every edit is a reversible patch (patch.ts); the scene's `stateId` names its current state
 * (undo returns to an earlier id), so renderers cache by it.
 *
 * Conventions, as in the official code and Cityscapes: an instance id is its class for stuff and
 * `class*1000+k` for things; a relabelled or painted thing gets a fresh id (the official UI's
 * `change_labels`); stuff joins the class's one region.
 *
 * @example
 * ```ts
 * const scene = Scene.create(label, inst, { label_nc: 35, feat_num: 3, clusters, classNames });
 * scene.setStyle(26001, 3);
 * scene.relabel(26002, "truck");
 * scene.undo();
 * ```
 *
 * @module
 */
import { OptionsError } from "../../kernel/errors.ts";
import type { Raster } from "../data/raster.ts";
import { classOfInstance } from "../data/maps.ts";
import type { Clusters } from "../features/clusters.ts";
import { type InstanceStyle, paintFeatures, styleOfChoice } from "../features/feature_map.ts";
import type { StyleChoice } from "../features/style_spec.ts";
import { applyPatch, copyStyles, makePatch, type Patch, type SceneState } from "./patch.ts";
import { boundingBox, type Box, maskPixels, pixelsOf, type Point, strokePixels } from "./geometry.ts";
import { fillFromSurroundings } from "./fill.ts";

/** What a scene needs besides its maps. */
export interface SceneOptions {
  /** Classes of the model (official `label_nc`). */
  label_nc: number;
  /** Feature channels (official `feat_num`); 0 for a model without instance features. */
  feat_num: number;
  /** Class names by id, for lookups by name and for messages. */
  classNames?: readonly string[];
  /** The model's clusters: the styles instances can take by index. */
  clusters?: Clusters | null;
  /** Thing classes (instances get ids class*1000+k). Default: the classes with such ids in the scene. */
  things?: Iterable<number>;
  /** Undo steps kept (default 100). */
  max_history?: number;
}

/** One instance, as `instances()` lists it. */
export interface InstanceInfo {
  /** Its instance id. */
  id: number;
  /** Its class id (`id < 1000 ? id : floor(id/1000)`). */
  classId: number;
  /** Its class name ("" when the scene has no names). */
  className: string;
  /** Its pixel count. */
  pixels: number;
  /** Its bounding box. */
  box: Box;
  /** Its style (null when the scene has no features). */
  style: InstanceStyle | null;
}

/** A class given by id or by name. */
export type ClassRef = number | string;

interface Step {
  patch: Patch;
  from: [number, number];
  to: [number, number];
}

function listIds(ids: number[]): string {
  return ids.slice(0, 40).join(", ") + (ids.length > 40 ? ` and ${ids.length - 40} more` : "");
}

/** A label map, an instance map and per-instance styles, with reversible edits. */
export class Scene {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Classes of the model. */
  readonly label_nc: number;
  /** Feature channels (0: no features). */
  readonly feat_num: number;
  /** Class names by id. */
  readonly classNames: readonly string[];
  /** The model's clusters, or null. */
  readonly clusters: Clusters | null;
  /** Thing classes. */
  readonly things: ReadonlySet<number>;
  readonly #state: SceneState;
  /** The scene as created, for `reset`. */
  readonly #initial: SceneState;
  readonly #maxHistory: number;
  #undo: Step[] = [];
  #redo: Step[] = [];
  #ids: [number, number] = [0, 0];
  #counter = 0;

  private constructor(state: SceneState, options: SceneOptions) {
    this.width = state.width;
    this.height = state.height;
    this.label_nc = options.label_nc;
    this.feat_num = options.feat_num;
    this.classNames = options.classNames ?? [];
    this.clusters = options.clusters ?? null;
    this.#state = state;
    this.#initial = {
      ...state,
      label: Int32Array.from(state.label),
      inst: Int32Array.from(state.inst),
      styles: copyStyles(state.styles),
    };
    this.#maxHistory = options.max_history ?? 100;
    const found = new Set([...new Set(state.inst)].filter((id) => id >= 1000).map(classOfInstance));
    this.things = new Set(options.things ?? found);
  }

  /**
   * A scene from its maps and styles (the maps are copied).
   *
   * @param label class ids (1 channel)
   * @param inst instance ids (1 channel, the label's size)
   * @param styles the style of every instance present (ignored when feat_num is 0)
   * @param options label_nc, feat_num, class names, clusters, thing classes, history length
   * @returns the scene
   * @throws {OptionsError} when the maps differ in size or channels, a class id is outside
   *   0…label_nc-1, or an instance lacks a style (listing them) or has one of the wrong length
   */
  static create(
    label: Raster<Int32Array>,
    inst: Raster<Int32Array>,
    styles: ReadonlyMap<number, InstanceStyle>,
    options: SceneOptions,
  ): Scene {
    if (
      label.channels !== 1 || inst.channels !== 1 || label.width !== inst.width ||
      label.height !== inst.height
    ) {
      throw new OptionsError(
        "scene",
        "inst",
        `must be a 1-channel map of the label map's size ${label.width}×${label.height}×${label.channels}: ` +
          `current size is ${inst.width}×${inst.height}×${inst.channels}`,
      );
    }
    const badLabel = label.data.find((v) => v < 0 || v >= options.label_nc);
    if (badLabel !== undefined) {
      throw new OptionsError(
        "scene",
        "label",
        `has class ${badLabel}, outside 0…${options.label_nc - 1} (label_nc)`,
      );
    }
    const ids = [...new Set(inst.data)].sort((a, b) => a - b);
    const kept = new Map<number, InstanceStyle>();
    if (options.feat_num > 0) {
      const missing = ids.filter((id) => !styles.has(id));
      if (missing.length > 0) {
        throw new OptionsError("scene", "styles", `lack instance(s) ${listIds(missing)} of the instance map`);
      }
      for (const id of ids) {
        const style = styles.get(id)!;
        if (style.vector.length !== options.feat_num) {
          throw new OptionsError(
            "scene",
            "styles",
            `instance ${id} has a ${style.vector.length}-value style but feat_num is ${options.feat_num}`,
          );
        }
        kept.set(id, style);
      }
    }
    const state: SceneState = {
      width: label.width,
      height: label.height,
      label: Int32Array.from(label.data),
      inst: Int32Array.from(inst.data),
      styles: copyStyles(kept),
    };
    return new Scene(state, options);
  }

  /** Class ids, row-major (read only: change them through the edit methods). */
  get label(): Int32Array {
    return this.#state.label;
  }

  /** Instance ids, row-major (read only). */
  get inst(): Int32Array {
    return this.#state.inst;
  }

  /** The style of each instance (a copy). */
  get styles(): Map<number, InstanceStyle> {
    return copyStyles(this.#state.styles);
  }

  /** Names the current state; equal ids mean bit-identical scenes (undo returns to an earlier id). */
  get stateId(): number {
    return this.#ids[0];
  }

  /** Names the current label and instance maps (style edits keep it). */
  get geometryId(): number {
    return this.#ids[1];
  }

  /** The label map as a raster (a copy). */
  labelRaster(): Raster<Int32Array> {
    return { width: this.width, height: this.height, channels: 1, data: Int32Array.from(this.#state.label) };
  }

  /** The instance map as a raster (a copy). */
  instRaster(): Raster<Int32Array> {
    return { width: this.width, height: this.height, channels: 1, data: Int32Array.from(this.#state.inst) };
  }

  /**
   * The feature channels: each instance's vector over its pixels.
   *
   * @param styles styles to paint instead of the scene's (previews)
   * @returns NHWC data `[H, W, feat_num]`
   */
  featureData(styles: ReadonlyMap<number, InstanceStyle> = this.#state.styles): Float32Array {
    const inst = { width: this.width, height: this.height, channels: 1, data: this.#state.inst };
    return paintFeatures(inst, styles, this.feat_num);
  }

  /**
   * A class id from an id or a name (any case; `_` for spaces).
   *
   * @param ref class id or name
   * @returns the class id
   * @throws {OptionsError} listing the valid classes
   */
  classId(ref: ClassRef): number {
    const norm = (s: string) => s.trim().toLowerCase().replace(/[_\s]+/g, " ");
    const byName = typeof ref === "string" && !/^\d+$/.test(ref.trim())
      ? this.classNames.findIndex((n) => norm(n) === norm(ref))
      : Number(ref);
    if (Number.isInteger(byName) && byName >= 0 && byName < this.label_nc) return byName;
    const valid = this.classNames.length
      ? this.classNames.slice(0, this.label_nc).map((n, i) => `${i} ${n}`).join(", ")
      : `0…${this.label_nc - 1}`;
    throw new OptionsError(
      "scene",
      "class",
      `${JSON.stringify(ref)} is not a class of this model; valid classes: ${valid}`,
    );
  }

  /**
   * Every instance: id, class, pixel count, bounding box, style; ids ascending.
   *
   * @returns the instances
   */
  instances(): InstanceInfo[] {
    const boxes = new Map<number, { n: number; x0: number; y0: number; x1: number; y1: number }>();
    const inst = this.#state.inst;
    for (let p = 0; p < inst.length; p++) {
      const x = p % this.width, y = Math.floor(p / this.width);
      const b = boxes.get(inst[p]);
      if (!b) boxes.set(inst[p], { n: 1, x0: x, y0: y, x1: x, y1: y });
      else {
        b.n++;
        if (x < b.x0) b.x0 = x;
        if (x > b.x1) b.x1 = x;
        b.y1 = y;
      }
    }
    return [...boxes].sort(([a], [b]) => a - b).map(([id, b]) =>
      this.#info(id, b.n, {
        x: b.x0,
        y: b.y0,
        width: b.x1 - b.x0 + 1,
        height: b.y1 - b.y0 + 1,
      })
    );
  }

  /**
   * One instance.
   *
   * @param id instance id
   * @returns its description
   * @throws {OptionsError} when the scene has no such instance (listing those it has)
   */
  instance(id: number): InstanceInfo {
    const pixels = this.#pixels(id);
    return this.#info(id, pixels.length, boundingBox(pixels, this.width));
  }

  /**
   * The instance id at a pixel.
   *
   * @param x column
   * @param y row
   * @returns the instance id there
   * @throws {RangeError} when the pixel is outside the scene
   */
  instanceAt(x: number, y: number): number {
    if (
      !Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= this.width || y >= this.height
    ) {
      throw new RangeError(`Cannot read pixel (${x}, ${y}): the scene is ${this.width}×${this.height}`);
    }
    return this.#state.inst[y * this.width + x];
  }

  /**
   * An instance's mask, for `paste` (e.g. to copy an object elsewhere).
   *
   * @param id instance id
   * @returns a 1-channel raster, 1 on the instance, 0 elsewhere
   * @throws {OptionsError} when the scene has no such instance
   */
  mask(id: number): Raster<Uint8Array> {
    const data = new Uint8Array(this.width * this.height);
    for (const p of this.#pixels(id)) data[p] = 1;
    return { width: this.width, height: this.height, channels: 1, data };
  }

  /**
   * Gives an instance another class. A thing class gets a fresh instance id (highest of the class + 1);
   * a stuff class merges it into that class's region (and its style). Unless `style` is given, a new
   * instance keeps its feature vector, as the official UI copies the features.
   *
   * @param id the instance
   * @param to the new class (id or name)
   * @param options `style`: the new instance's style (cluster index of the new class or a vector)
   * @returns the instance id the pixels have now
   * @throws {OptionsError} for an unknown instance or class, the instance's own class, or a bad style
   */
  relabel(id: number, to: ClassRef, options: { style?: StyleChoice } = {}): number {
    const pixels = this.#pixels(id);
    const target = this.classId(to);
    if (target === this.#state.label[pixels[0]] && target === classOfInstance(id)) {
      throw new OptionsError(
        "relabel",
        "class",
        `instance ${id} already is class ${this.#className(target)}`,
      );
    }
    const newId = this.things.has(target) ? this.#freshId(target) : target;
    const styles = copyStyles(this.#state.styles);
    if (this.feat_num > 0) {
      const old = this.#state.styles.get(id)!;
      if (options.style !== undefined) {
        styles.set(newId, this.#style(options.style, target, `instance ${newId}`));
      } else if (!styles.has(newId)) styles.set(newId, { cluster: null, vector: [...old.vector] });
    } else this.#noStyle(options.style);
    this.#apply(
      makePatch(this.#state, `relabel ${id} → ${this.#className(target)}`, pixels, target, newId, styles),
    );
    return newId;
  }

  /**
   * Removes an instance: its surroundings grow into the hole (see fill.ts: nearest stuff first).
   *
   * @param id the instance
   * @throws {OptionsError} for an unknown instance, or one covering the whole scene
   */
  remove(id: number): void {
    const pixels = this.#pixels(id);
    const sources = fillFromSurroundings(this.#state.inst, this.width, pixels);
    if (!sources) {
      throw new OptionsError("remove", "instance", `${id} covers the whole scene: nothing surrounds it`);
    }
    const labels = sources.map((p) => this.#state.label[p]), insts = sources.map((p) => this.#state.inst[p]);
    this.#apply(makePatch(this.#state, `remove ${id}`, pixels, labels, insts, this.#state.styles));
  }

  /**
   * Paints a round brush stroke of a class. A thing class makes a new instance (or extends
   * `instance`); a stuff class extends its region.
   *
   * @param stroke `class`, `points` ([x, y] pixel centres), `radius` (default 4), `instance` to extend,
   *   `style` for a new instance (default: cluster 0 of its class, or zeros)
   * @returns the instance id painted
   * @throws {OptionsError} for an unknown class or instance, or an instance of another class
   * @throws {RangeError} for a stroke without points or a radius ≤ 0
   */
  paint(
    stroke: {
      class: ClassRef;
      points: readonly Point[];
      radius?: number;
      instance?: number;
      style?: StyleChoice;
    },
  ): number {
    const target = this.classId(stroke.class);
    const pixels = strokePixels(this.width, this.height, stroke.points, stroke.radius ?? 4);
    return this.#assign(`paint ${this.#className(target)}`, pixels, target, stroke);
  }

  /**
   * Pastes an object: the mask's pixels (non-zero, first channel) become a new instance of `class`
   * (stuff: that class's region), moved by `offset`.
   *
   * @param mask a raster of the scene's size (e.g. `scene.mask(id)` to copy an object)
   * @param options `class`, `offset` [dx, dy], `style` (default: cluster 0 of the class, or zeros),
   *   `file` (the mask's name in errors)
   * @returns the new instance id
   * @throws {DataError} for a mask of another size, or one selecting nothing in the scene
   * @throws {OptionsError} for an unknown class or a bad style
   */
  paste(
    mask: Raster,
    options: { class: ClassRef; offset?: Point; style?: StyleChoice; file?: string },
  ): number {
    const target = this.classId(options.class);
    const values = mask.channels === 1 ? mask.data : mask.data.filter((_, i) => i % mask.channels === 0);
    const pixels = maskPixels(values, mask, this, options.offset, options.file);
    return this.#assign(`paste ${this.#className(target)}`, pixels, target, options);
  }

  /**
   * Sets an instance's style: a cluster index of its class or a raw feature vector.
   *
   * @param id the instance
   * @param choice cluster index or `feat_num` values
   * @throws {OptionsError} for an unknown instance, a scene without features, an index beyond the
   *   class's clusters (with the valid range) or a vector of the wrong length
   */
  setStyle(id: number, choice: StyleChoice): void {
    this.#pixels(id);
    if (this.feat_num === 0) this.#noStyle(choice);
    const styles = copyStyles(this.#state.styles);
    styles.set(id, this.#style(choice, classOfInstance(id), `instance ${id}`));
    const name = `style ${id} = ${typeof choice === "number" ? choice : `[${choice.join(", ")}]`}`;
    this.#apply(makePatch(this.#state, name, new Int32Array(0), 0, 0, styles));
  }

  /**
   * Sets the style of every instance of a class (one edit).
   *
   * @param ref the class (id or name)
   * @param choice cluster index or `feat_num` values
   * @throws {OptionsError} for a class that is not in the scene (listing those that are), a scene
   *   without features, or a bad choice
   */
  setClassStyle(ref: ClassRef, choice: StyleChoice): void {
    const label = this.classId(ref);
    const ids = [...new Set(this.#state.inst)].sort((a, b) => a - b);
    const mine = ids.filter((id) => classOfInstance(id) === label);
    if (mine.length === 0) {
      const present = [...new Set(ids.map(classOfInstance))].map((c) => `${c} ${this.#className(c)}`).join(
        ", ",
      );
      throw new OptionsError(
        "scene",
        "class",
        `${this.#className(label)} is not in the scene; its classes: ${present}`,
      );
    }
    if (this.feat_num === 0) this.#noStyle(choice);
    const styles = copyStyles(this.#state.styles);
    const style = this.#style(choice, label, `class ${this.#className(label)}`);
    for (const id of mine) styles.set(id, { cluster: style.cluster, vector: [...style.vector] });
    const name = `style ${this.#className(label)} = ${
      typeof choice === "number" ? choice : `[${choice.join(", ")}]`
    }`;
    this.#apply(makePatch(this.#state, name, new Int32Array(0), 0, 0, styles));
  }

  /**
   * Reverts the last edit.
   *
   * @returns false when there was nothing to undo
   */
  undo(): boolean {
    const step = this.#undo.pop();
    if (!step) return false;
    applyPatch(this.#state, step.patch, "before");
    this.#ids = step.from;
    this.#redo.push(step);
    return true;
  }

  /**
   * Re-applies the last undone edit.
   *
   * @returns false when there was nothing to redo
   */
  redo(): boolean {
    const step = this.#redo.pop();
    if (!step) return false;
    applyPatch(this.#state, step.patch, "after");
    this.#ids = step.to;
    this.#undo.push(step);
    return true;
  }

  /**
   * Brings the scene back to how it was created, as one edit ("reset") that `undo` reverts; the history
   * before it is kept (undo past the reset walks back through the earlier edits). The state id is the
   * created scene's again, so renderers reuse what they cached for it.
   *
   * @returns false when the scene already is as created (nothing is recorded)
   */
  reset(): boolean {
    const now = this.#state, first = this.#initial;
    const changed: number[] = [];
    for (let i = 0; i < now.label.length; i++) {
      if (now.label[i] !== first.label[i] || now.inst[i] !== first.inst[i]) changed.push(i);
    }
    const sameStyles = now.styles.size === first.styles.size &&
      [...first.styles].every(([id, s]) => {
        const other = now.styles.get(id);
        return other !== undefined && other.cluster === s.cluster &&
          other.vector.length === s.vector.length && other.vector.every((v, k) => v === s.vector[k]);
      });
    if (changed.length === 0 && sameStyles) return false;
    const pixels = Int32Array.from(changed);
    const pick = (data: Int32Array) => pixels.map((i) => data[i]);
    const patch: Patch = {
      name: "reset",
      pixels,
      label: { before: pick(now.label), after: pick(first.label) },
      inst: { before: pick(now.inst), after: pick(first.inst) },
      styles: { before: copyStyles(now.styles), after: copyStyles(first.styles) },
    };
    const from = this.#ids;
    applyPatch(this.#state, patch, "after");
    this.#ids = [0, 0];
    this.#undo.push({ patch, from, to: this.#ids });
    if (this.#undo.length > this.#maxHistory) this.#undo.shift();
    this.#redo = [];
    return true;
  }

  /**
   * The edit history.
   *
   * @returns the names of the edits that undo would revert (oldest first) and that redo would re-apply
   *   (next first)
   */
  history(): { done: string[]; undone: string[] } {
    return {
      done: this.#undo.map((s) => s.patch.name),
      undone: this.#redo.map((s) => s.patch.name).reverse(),
    };
  }

  #assign(
    name: string,
    pixels: Int32Array,
    target: number,
    o: { instance?: number; style?: StyleChoice },
  ): number {
    let id = target;
    if (o.instance !== undefined) {
      this.#pixels(o.instance);
      if (classOfInstance(o.instance) !== target) {
        throw new OptionsError(
          name.split(" ")[0],
          "instance",
          `${o.instance} is not of class ${this.#className(target)}`,
        );
      }
      id = o.instance;
    } else if (this.things.has(target)) id = this.#freshId(target);
    const styles = copyStyles(this.#state.styles);
    if (this.feat_num > 0) {
      if (o.style !== undefined) styles.set(id, this.#style(o.style, target, `instance ${id}`));
      else if (!styles.has(id)) styles.set(id, this.#defaultStyle(target));
    } else this.#noStyle(o.style);
    this.#apply(makePatch(this.#state, name, pixels, target, id, styles));
    return id;
  }

  #apply(patch: Patch): void {
    const from = this.#ids;
    const changesMaps = patch.pixels.length > 0;
    this.#ids = [++this.#counter, changesMaps ? this.#counter : from[1]];
    applyPatch(this.#state, patch, "after");
    this.#undo.push({ patch, from, to: this.#ids });
    if (this.#undo.length > this.#maxHistory) this.#undo.shift();
    this.#redo = [];
  }

  #pixels(id: number): Int32Array {
    const pixels = Number.isInteger(id) ? pixelsOf(this.#state.inst, id) : new Int32Array(0);
    if (pixels.length === 0) {
      const ids = [...new Set(this.#state.inst)].sort((a, b) => a - b);
      throw new OptionsError(
        "scene",
        "instance",
        `${id} is not in the scene; its instances: ${listIds(ids)}`,
      );
    }
    return pixels;
  }

  #freshId(label: number): number {
    const used = new Set(
      [...new Set(this.#state.inst)].filter((id) => classOfInstance(id) === label && id >= 1000),
    );
    const top = Math.max(label * 1000 - 1, ...used);
    if (top < label * 1000 + 999) return top + 1;
    for (let id = label * 1000; id < label * 1000 + 1000; id++) if (!used.has(id)) return id;
    throw new OptionsError(
      "scene",
      "instance",
      `class ${this.#className(label)} has all 1000 instance ids in use`,
    );
  }

  #style(choice: StyleChoice, label: number, what: string): InstanceStyle {
    return styleOfChoice(choice, label, this.clusters, {
      feat_num: this.feat_num,
      classNames: this.classNames,
      what,
    });
  }

  #defaultStyle(label: number): InstanceStyle {
    const centres = this.clusters?.centres.get(label);
    return centres
      ? { cluster: 0, vector: [...centres[0]] }
      : { cluster: null, vector: new Array(this.feat_num).fill(0) };
  }

  #noStyle(choice: StyleChoice | undefined): void {
    if (choice !== undefined) {
      throw new OptionsError(
        "scene",
        "style",
        "cannot be set: this scene's model has no instance features (feat_num 0)",
      );
    }
  }

  #className(label: number): string {
    return this.classNames[label] ? this.classNames[label] : String(label);
  }

  #info(id: number, pixels: number, box: Box): InstanceInfo {
    const classId = classOfInstance(id);
    const style = this.#state.styles.get(id);
    return {
      id,
      classId,
      className: this.classNames[classId] ?? "",
      pixels,
      box,
      style: style ? { cluster: style.cluster, vector: [...style.vector] } : null,
    };
  }
}
