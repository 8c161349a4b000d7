/**
 * A small test scene (12×8, Cityscapes classes) and helpers to compare scene states.
 *
 * ```
 * row 0-1: sky (23) everywhere
 * row 2-7: road (7) on x 0-7, sidewalk (8) on x 8-11
 * car 26001: x 2-4, y 4-6 (on road); car 26003: x 6-9, y 3-5 (straddles road and sidewalk)
 * person 24000: x 10, y 5-7 (on sidewalk)
 * ```
 *
 * @module
 */
import { CITYSCAPES_PALETTE } from "../../../plugins/data/palettes/cityscapes.ts";
import type { Clusters } from "../../../plugins/features/clusters.ts";
import { resolveStyles } from "../../../plugins/features/feature_map.ts";
import { randomStyle } from "../../../plugins/features/style_spec.ts";
import { Scene } from "../../../plugins/editing/scene.ts";

export const W = 12, H = 8;

/** Clusters for cars (3), roads (2) and persons (1); feat_num 2. */
export const CLUSTERS: Clusters = {
  feat_num: 2,
  label_nc: 35,
  n_clusters: 3,
  centres: new Map([
    [26, [[0.9, -0.9], [-0.5, 0.5], [0.1, 0.7]]],
    [7, [[0.2, 0.2], [-0.3, -0.3]]],
    [24, [[0.6, 0.1]]],
  ]),
};

/** The scene's maps as rasters. */
export function sceneMaps() {
  const label = new Int32Array(W * H), inst = new Int32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const id = y < 2 ? 23 : x < 8 ? 7 : 8;
      const car1 = x >= 2 && x <= 4 && y >= 4 && y <= 6;
      const car3 = x >= 6 && x <= 9 && y >= 3 && y <= 5;
      const person = x === 10 && y >= 5;
      const v = car1 ? 26001 : car3 ? 26003 : person ? 24000 : id;
      inst[y * W + x] = v;
      label[y * W + x] = v < 1000 ? v : Math.floor(v / 1000);
    }
  }
  return {
    label: { width: W, height: H, channels: 1, data: label },
    inst: { width: W, height: H, channels: 1, data: inst },
  };
}

/** The test scene, styles drawn with `seed`. */
export function testScene(seed = 0, feat = true): Scene {
  const { label, inst } = sceneMaps();
  const ids = [...new Set(inst.data)].sort((a, b) => a - b);
  const styles = feat ? resolveStyles(ids, CLUSTERS, randomStyle(seed), { feat_num: 2 }) : new Map();
  return Scene.create(label, inst, styles, {
    label_nc: 35,
    feat_num: feat ? 2 : 0,
    clusters: feat ? CLUSTERS : null,
    classNames: CITYSCAPES_PALETTE.names,
    things: [24, 25, 26, 27, 28, 29, 30, 31, 32, 33],
  });
}

/** Everything a scene is, copied: maps, features, styles. */
export function snapshot(scene: Scene) {
  return {
    label: Int32Array.from(scene.label),
    inst: Int32Array.from(scene.inst),
    features: scene.featureData(),
    styles: scene.styles,
  };
}

/** The official boundary map on CPU (a pixel is 1 when a 4-neighbour has another id). */
export function edges(inst: Int32Array): Uint8Array {
  const out = new Uint8Array(inst.length);
  for (let p = 0; p < inst.length; p++) {
    const x = p % W;
    if (x < W - 1 && inst[p] !== inst[p + 1]) out[p] = out[p + 1] = 1;
    if (p + W < inst.length && inst[p] !== inst[p + W]) out[p] = out[p + W] = 1;
  }
  return out;
}

/** Pixel indices where two arrays (of `per` values per pixel) differ. */
export function changedPixels(a: ArrayLike<number>, b: ArrayLike<number>, per = 1): number[] {
  const out = new Set<number>();
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.add(Math.floor(i / per));
  return [...out].sort((x, y) => x - y);
}

/** Raster indices of the rectangle x0…x1 × y0…y1. */
export function rect(x0: number, x1: number, y0: number, y1: number): number[] {
  const out: number[] = [];
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.push(y * W + x);
  return out;
}

/** The pixels and their 4-neighbours: where a change of these pixels can change the boundary map. */
export function around(pixels: number[]): Set<number> {
  const out = new Set<number>();
  for (const p of pixels) {
    const x = p % W;
    out.add(p);
    if (x > 0) out.add(p - 1);
    if (x < W - 1) out.add(p + 1);
    if (p >= W) out.add(p - W);
    if (p + W < W * H) out.add(p + W);
  }
  return out;
}

/** Checks that the boundary map changed only around the changed instance pixels, and that it did change. */
export function boundariesChangedAround(before: Int32Array, after: Int32Array): boolean {
  const changed = changedPixels(before, after);
  const edgeChanges = changedPixels(edges(before), edges(after));
  const near = around(changed);
  return edgeChanges.length > 0 && edgeChanges.every((p) => near.has(p));
}
