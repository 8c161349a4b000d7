/**
 * pix2pixHD's preprocessing (data/base_dataset.py): `resize_or_crop` = scale_width |
 * scale_width_and_crop | resize_and_crop | crop | none, with `loadSize`, `fineSize` and `no_flip`.
 * One geometry plan per sample is applied to the label map, the instance map and the photo alike
 * (same crop, same flip): NEAREST for ids, Pillow-exact antialiased BICUBIC for photos.
 *
 * `none` rounds each side to the network's multiple (2^n_downsample_global, ×2^n_local_enhancers for
 * netG=local) by resizing, as the official code does (`none_fit: "round"`), or pads by mirroring
 * (`none_fit: "pad"`) so that synthesis can crop its output back to the original size
 * (see restore_size.ts). With `fit_every_mode` (synthesis) the other modes are fitted the same way
 * when their size is not such a multiple (e.g. scale_width of 2048×1000 gives 1024×500), where the
 * official networks would fail.
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import { defineSchema, type OptionsOf } from "../../kernel/options.ts";
import type { Rng } from "../../kernel/random.ts";
import { cropRaster, flipRaster, padRaster, type Raster, type RasterData } from "./raster.ts";
import { resizeBicubic, resizeNearest } from "./resize.ts";

/** Preprocessing options (official flag names and defaults). */
export const preprocessSchema = defineSchema({
  resize_or_crop: {
    type: "enum",
    default: "scale_width",
    choices: ["scale_width", "scale_width_and_crop", "resize_and_crop", "crop", "none"],
    doc: "scaling and cropping of images at load time",
  },
  loadSize: { type: "int", default: 1024, min: 1, doc: "scale images to this size (width for scale_width*)" },
  fineSize: { type: "int", default: 512, min: 1, doc: "then crop to this size (square)" },
  no_flip: { type: "boolean", default: false, doc: "do not flip images horizontally at random" },
  n_downsample_global: {
    type: "int",
    default: 4,
    min: 0,
    doc: "generator downsamplings (sizes are fitted to the network's multiple)",
  },
  netG: {
    type: "string",
    default: "global",
    doc:
      "generator: local multiplies the multiple by 2^n_local_enhancers (sizes are fitted to the network's multiple)",
  },
  n_local_enhancers: {
    type: "int",
    default: 1,
    min: 1,
    doc: "local enhancers (sizes are fitted to the network's multiple)",
  },
  fit_every_mode: {
    type: "boolean",
    default: false,
    doc:
      "fit every mode's size to the network's multiple, not only none's (synthesis: sizes the networks cannot take)",
  },
  none_fit: {
    type: "enum",
    default: "round",
    choices: ["round", "pad"],
    doc: "resize_or_crop=none: resize to the nearest multiple (official) or mirror-pad up to it",
  },
});

/** Resolved preprocessing options. */
export type PreprocessOptions = OptionsOf<typeof preprocessSchema>;

/** The random draws of one sample (uniforms in [0, 1)), taken in a fixed order so runs are reproducible. */
export interface Draws {
  x: number;
  y: number;
  flip: number;
}

/** What happens to one sample's maps, from its original size to the network's input size. */
export interface GeometryPlan {
  /** Original width and height. */
  original: { width: number; height: number };
  /** Size after the resize step. */
  resized: { width: number; height: number };
  /** The crop window (in resized pixels), when cropping. */
  crop?: { x: number; y: number; size: number };
  /** How the size after resizing and cropping was fitted to the network's multiple, when it was not one. */
  fit?: { mode: "round" | "pad"; width: number; height: number };
  /** Mirror left-right. */
  flip: boolean;
  /** Final width and height. */
  width: number;
  height: number;
}

/**
 * Draws a sample's crop position and flip from the run's random generator (3 draws, always).
 *
 * @param rng the seeded generator
 * @returns the draws
 */
export function drawParams(rng: Rng): Draws {
  return { x: rng.next(), y: rng.next(), flip: rng.next() };
}

/** Python 3's `round()` (halves to even). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  if (d !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The multiple that resize_or_crop=none fits sizes to.
 *
 * @param opts preprocessing options
 * @returns 2^n_downsample_global (× 2^n_local_enhancers for netG=local)
 */
export function networkMultiple(opts: PreprocessOptions): number {
  return 2 ** opts.n_downsample_global * (opts.netG === "local" ? 2 ** opts.n_local_enhancers : 1);
}

/**
 * Plans the geometry of one sample exactly as the official `get_params`/`get_transform` do.
 *
 * @param width original width
 * @param height original height
 * @param opts preprocessing options
 * @param draws the sample's random draws
 * @param file the label file, named in errors
 * @returns the plan
 * @throws {DataError} when fitting to the network's multiple would round a side to 0
 */
export function planGeometry(
  width: number,
  height: number,
  opts: PreprocessOptions,
  draws: Draws,
  file: string,
): GeometryPlan {
  const mode = opts.resize_or_crop;
  let rw = width, rh = height;
  if (mode === "resize_and_crop") [rw, rh] = [opts.loadSize, opts.loadSize];
  else if (mode.startsWith("scale_width") && width !== opts.loadSize) {
    [rw, rh] = [opts.loadSize, Math.floor((opts.loadSize * height) / width)];
  }
  const plan: GeometryPlan = {
    original: { width, height },
    resized: { width: rw, height: rh },
    flip: !opts.no_flip && draws.flip > 0.5,
    width: rw,
    height: rh,
  };
  if (mode.endsWith("crop") && (rw > opts.fineSize || rh > opts.fineSize)) {
    const x = Math.floor(draws.x * (Math.max(0, rw - opts.fineSize) + 1));
    const y = Math.floor(draws.y * (Math.max(0, rh - opts.fineSize) + 1));
    plan.crop = { x, y, size: opts.fineSize };
    plan.width = plan.height = opts.fineSize;
  }
  // The official code rounds only for "none" (__make_power_2); with fit_every_mode the other modes'
  // sizes are rounded the same way when they are not multiples, where the official networks would fail.
  if (mode !== "none" && !opts.fit_every_mode) return plan;
  const base = networkMultiple(opts);
  const fit = opts.none_fit === "pad"
    ? (n: number) => Math.ceil(n / base) * base
    : (n: number) => roundHalfEven(n / base) * base;
  const [fw, fh] = [fit(plan.width), fit(plan.height)];
  if (fw === 0 || fh === 0) {
    throw new DataError(
      file,
      `is ${plan.width}×${plan.height} after resize_or_crop=${mode}, too small for a network multiple of ${base}: ` +
        `use none_fit "pad" or a larger image${mode === "none" ? "" : " or --loadSize/--fineSize"}`,
    );
  }
  if (fw !== plan.width || fh !== plan.height) {
    plan.fit = { mode: opts.none_fit, width: fw, height: fh };
    [plan.width, plan.height] = [fw, fh];
  }
  return plan;
}

/**
 * Applies a plan to one map.
 *
 * @param r the map at its original size
 * @param plan the sample's plan
 * @param method "nearest" for label/instance/feature maps, "bicubic" for 8-bit photos
 * @returns the map at the network's input size
 */
export function applyPlan<D extends RasterData>(
  r: Raster<D>,
  plan: GeometryPlan,
  method: "nearest" | "bicubic",
): Raster<D> {
  const resize = (img: Raster<D>, w: number, h: number): Raster<D> =>
    method === "bicubic"
      ? resizeBicubic(img as unknown as Raster<Uint8Array>, w, h) as unknown as Raster<D>
      : resizeNearest(img, w, h);
  let out = resize(r, plan.resized.width, plan.resized.height);
  if (plan.crop) out = cropRaster(out, plan.crop.x, plan.crop.y, plan.crop.size, plan.crop.size);
  if (plan.fit) {
    out = plan.fit.mode === "pad"
      ? padRaster(out, plan.fit.width, plan.fit.height)
      : resize(out, plan.fit.width, plan.fit.height);
  }
  if (plan.flip) out = flipRaster(out);
  return out;
}
