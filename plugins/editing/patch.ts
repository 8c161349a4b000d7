/**
 * A scene's state and the reversible changes made to it. The state is the label map, the instance map
 * and each instance's style; boundaries and the feature map are derived from them. A `Patch` holds the
 * changed pixels' old and new values and the styles before and after, so undo and redo restore a
 * state bit for bit without keeping whole copies of the maps.
 *
 * @module
 */
import type { InstanceStyle } from "../features/feature_map.ts";

/** What a scene is: maps (row-major, one value per pixel) and styles by instance id. */
export interface SceneState {
  width: number;
  height: number;
  /** Class id of every pixel. */
  label: Int32Array;
  /** Instance id of every pixel (`class` for stuff, `class*1000+k` for things). */
  inst: Int32Array;
  /** The style of every instance present (empty when the model has no features). */
  styles: Map<number, InstanceStyle>;
}

/** One reversible change. */
export interface Patch {
  /** What it did, for the history list ("relabel 26001 → person"). */
  name: string;
  /** Raster indices of the pixels it changed. */
  pixels: Int32Array;
  /** Their class ids before and after. */
  label: { before: Int32Array; after: Int32Array };
  /** Their instance ids before and after. */
  inst: { before: Int32Array; after: Int32Array };
  /** All styles before and after. */
  styles: { before: Map<number, InstanceStyle>; after: Map<number, InstanceStyle> };
}

/**
 * A deep copy of a styles map.
 *
 * @param styles id → style
 * @returns an independent copy
 */
export function copyStyles(styles: ReadonlyMap<number, InstanceStyle>): Map<number, InstanceStyle> {
  return new Map([...styles].map(([id, s]) => [id, { cluster: s.cluster, vector: [...s.vector] }]));
}

/**
 * Builds the patch that sets `pixels` to new class and instance ids, and the styles to `styles`
 * (entries of instances no longer present are dropped).
 *
 * @param state the current state (unchanged)
 * @param name what the change does
 * @param pixels raster indices to change (each at most once)
 * @param labels their new class ids (one per pixel, or one for all)
 * @param insts their new instance ids (one per pixel, or one for all)
 * @param styles the styles wanted after the change (ids absent after it are dropped)
 * @returns the patch
 */
export function makePatch(
  state: SceneState,
  name: string,
  pixels: Int32Array,
  labels: Int32Array | number,
  insts: Int32Array | number,
  styles: Map<number, InstanceStyle>,
): Patch {
  const n = pixels.length;
  const label = { before: new Int32Array(n), after: new Int32Array(n) };
  const inst = { before: new Int32Array(n), after: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    const p = pixels[i];
    label.before[i] = state.label[p];
    inst.before[i] = state.inst[p];
    label.after[i] = typeof labels === "number" ? labels : labels[i];
    inst.after[i] = typeof insts === "number" ? insts : insts[i];
  }
  const changed = new Uint8Array(state.inst.length);
  for (const p of pixels) changed[p] = 1;
  const remaining = new Set<number>(inst.after);
  let last = NaN;
  for (let p = 0; p < state.inst.length; p++) {
    if (!changed[p] && state.inst[p] !== last) remaining.add(last = state.inst[p]);
  }
  const after = copyStyles(new Map([...styles].filter(([id]) => remaining.has(id))));
  return { name, pixels, label, inst, styles: { before: copyStyles(state.styles), after } };
}

/**
 * Applies a patch forwards (`redo`) or backwards (`undo`), in place.
 *
 * @param state the scene state
 * @param patch the change
 * @param direction "after" to apply it, "before" to revert it
 */
export function applyPatch(state: SceneState, patch: Patch, direction: "before" | "after"): void {
  const labels = patch.label[direction], insts = patch.inst[direction];
  for (let i = 0; i < patch.pixels.length; i++) {
    state.label[patch.pixels[i]] = labels[i];
    state.inst[patch.pixels[i]] = insts[i];
  }
  state.styles = copyStyles(patch.styles[direction]);
}
