/**
 * A per-class appearance model of photos, the classifier behind the label-consistency score: each pixel
 * is described by the mean colour of its neighbourhood at three sizes and by how much the brightness
 * varies there (a little texture, `pixelFeatures`), each class by the mean and covariance of those
 * features over the real photos' pixels of that class, and a pixel is assigned to the class of highest
 * Gaussian likelihood (quadratic discriminant analysis with equal priors, so that large classes such as
 * road do not win by default).
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";

/** Radii of the colour features: the mean R, G, B over a (2r+1)² box at each. */
const COLOUR_RADII = [1, 4, 8] as const;
/** Radii of the texture features: brightness deviation, mean |horizontal| and |vertical| brightness step. */
const TEXTURE_RADII = [2, 4] as const;
/** Features per pixel. */
export const FEATURES = 3 * COLOUR_RADII.length + 3 * TEXTURE_RADII.length;

/** One class of the model. */
export interface ClassAppearance {
  /** The class id. */
  id: number;
  /** How many training pixels it was fitted on. */
  pixels: number;
  /** Mean of each feature. */
  mean: number[];
  /** Covariance of the features, row by row (FEATURES², the floor added to its diagonal). */
  covariance: number[];
}

/** Per-class appearance statistics fitted on real photos. */
export interface AppearanceModel {
  /** The classes it knows, by id. */
  classes: ClassAppearance[];
}

/** Options of {@link fitAppearance}. */
export interface FitOptions {
  /** A class needs at least this many pixels to be modelled (default 50). */
  minPixels?: number;
  /** Class ids left out (e.g. Cityscapes' void classes 0–6). */
  ignore?: readonly number[];
  /** Added to each feature's variance, in squared 8-bit levels (default 4). */
  varianceFloor?: number;
}

/** A photo (8-bit RGB) and its label map (class ids) of the same size. */
export interface LabelledImage {
  image: Raster<Uint8Array>;
  labels: Raster<Int32Array>;
}

/**
 * Checks that an image is 8-bit RGB and its label map a 1-channel map of the same size.
 *
 * @param pair the image and its labels
 * @param what names the pair in the error
 * @throws {RangeError} saying which size or channel count is off
 */
export function checkPair(pair: LabelledImage, what: string): void {
  const { image, labels } = pair;
  if (image.channels !== 3) throw new RangeError(`${what}: the image has ${image.channels} channels, not 3`);
  if (labels.channels !== 1) {
    throw new RangeError(`${what}: the label map has ${labels.channels} channels, not 1`);
  }
  if (image.width !== labels.width || image.height !== labels.height) {
    throw new RangeError(
      `${what}: the image is ${image.width}×${image.height} but its label map ${labels.width}×${labels.height}`,
    );
  }
}

/** The mean of a plane over the (2r+1)² box around each pixel, clipped at the borders. */
function boxMean(plane: Float64Array, w: number, h: number, r: number): Float64Array {
  const W = w + 1;
  const sum = new Float64Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += plane[y * w + x];
      sum[(y + 1) * W + x + 1] = sum[y * W + x + 1] + row;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
      const s = sum[y1 * W + x1] - sum[y0 * W + x1] - sum[y1 * W + x0] + sum[y0 * W + x0];
      out[y * w + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/**
 * The features of every pixel, in 8-bit levels: the mean R, G, B over boxes of radius 1, 4 and 8 around
 * it, and over boxes of radius 2 and 4 the standard deviation of the brightness (mean of R, G, B) and the
 * mean absolute brightness step to the right and downwards (how much texture or edges there is).
 *
 * @param image an 8-bit RGB raster
 * @returns `width·height·FEATURES` values, pixel by pixel
 */
export function pixelFeatures(image: Raster<Uint8Array>): Float64Array {
  const { width: w, height: h, data } = image;
  const n = w * h;
  const rgb = [0, 1, 2].map((c) => Float64Array.from({ length: n }, (_, p) => data[p * 3 + c]));
  const lum = rgb[0].map((r, p) => (r + rgb[1][p] + rgb[2][p]) / 3);
  const lum2 = lum.map((v) => v * v);
  const dx = lum.map((v, p) => (p % w < w - 1 ? Math.abs(lum[p + 1] - v) : 0));
  const dy = lum.map((v, p) => (p + w < n ? Math.abs(lum[p + w] - v) : 0));
  const planes: Float64Array[] = [];
  for (const r of COLOUR_RADII) for (const c of rgb) planes.push(boxMean(c, w, h, r));
  for (const r of TEXTURE_RADII) {
    const m = boxMean(lum, w, h, r), m2 = boxMean(lum2, w, h, r);
    planes.push(
      m.map((v, p) => Math.sqrt(Math.max(0, m2[p] - v * v))),
      boxMean(dx, w, h, r),
      boxMean(dy, w, h, r),
    );
  }
  const out = new Float64Array(n * FEATURES);
  planes.forEach((plane, k) => {
    for (let p = 0; p < n; p++) out[p * FEATURES + k] = plane[p];
  });
  return out;
}

/**
 * Fits each class's feature mean and covariance on real photos and their label maps.
 *
 * @param pairs photos with their label maps (each pair the same size)
 * @param options the smallest class, ignored ids, the variance floor
 * @returns the model (plain data, JSON-serializable), classes sorted by id
 * @throws {RangeError} when a pair's sizes disagree or no class has enough pixels
 */
export function fitAppearance(pairs: LabelledImage[], options: FitOptions = {}): AppearanceModel {
  const minPixels = options.minPixels ?? 50;
  const floor = options.varianceFloor ?? 4;
  const ignore = new Set(options.ignore ?? []);
  const F = FEATURES;
  const stats = new Map<number, { n: number; sum: Float64Array; outer: Float64Array }>();
  pairs.forEach((pair, i) => {
    checkPair(pair, `training pair ${i}`);
    const f = pixelFeatures(pair.image);
    const ids = pair.labels.data;
    for (let p = 0; p < ids.length; p++) {
      if (ignore.has(ids[p])) continue;
      let s = stats.get(ids[p]);
      if (!s) stats.set(ids[p], s = { n: 0, sum: new Float64Array(F), outer: new Float64Array(F * F) });
      s.n++;
      for (let a = 0; a < F; a++) {
        const v = f[p * F + a];
        s.sum[a] += v;
        for (let b = 0; b <= a; b++) s.outer[a * F + b] += v * f[p * F + b];
      }
    }
  });
  const classes: ClassAppearance[] = [...stats.entries()]
    .filter(([, s]) => s.n >= minPixels)
    .sort(([a], [b]) => a - b)
    .map(([id, s]) => {
      const mean = Array.from(s.sum, (v) => v / s.n);
      const covariance = new Array<number>(F * F);
      for (let a = 0; a < F; a++) {
        for (let b = 0; b <= a; b++) {
          const c = s.outer[a * F + b] / s.n - mean[a] * mean[b] + (a === b ? floor : 0);
          covariance[a * F + b] = covariance[b * F + a] = c;
        }
      }
      return { id, pixels: s.n, mean, covariance };
    });
  if (classes.length === 0) {
    throw new RangeError(`no class has ${minPixels} or more pixels in the ${pairs.length} training photos`);
  }
  return { classes };
}

/** The lower Cholesky factor of a symmetric positive definite matrix (n×n, row by row). */
function cholesky(m: readonly number[], n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-9)) : s / l[j * n + j];
    }
  }
  return l;
}

/**
 * Assigns every pixel of an image to the model's class of highest Gaussian likelihood (each class a
 * Gaussian with its own mean and full covariance, equal priors).
 *
 * @param model the fitted model
 * @param image an 8-bit RGB raster
 * @returns the predicted class id of each pixel
 */
export function classifyPixels(model: AppearanceModel, image: Raster<Uint8Array>): Int32Array {
  const F = FEATURES;
  const f = pixelFeatures(image);
  const n = image.width * image.height;
  const cls = model.classes.map((c) => {
    const l = cholesky(c.covariance, F);
    let logDet = 0;
    for (let i = 0; i < F; i++) logDet += 2 * Math.log(l[i * F + i]);
    return { id: c.id, mean: c.mean, l, logDet };
  });
  const z = new Float64Array(F);
  const out = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    let best = Infinity, bestId = cls[0].id;
    for (const c of cls) {
      // Mahalanobis distance: solve L z = x − mean, then |z|².
      let d = c.logDet;
      for (let i = 0; i < F; i++) {
        let s = f[p * F + i] - c.mean[i];
        for (let k = 0; k < i; k++) s -= c.l[i * F + k] * z[k];
        z[i] = s / c.l[i * F + i];
        d += z[i] * z[i];
        if (d >= best) break;
      }
      if (d < best) [best, bestId] = [d, c.id];
    }
    out[p] = bestId;
  }
  return out;
}
