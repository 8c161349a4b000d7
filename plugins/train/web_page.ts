/**
 * The training web page `checkpoints/<name>/web/index.html`, like the official one: for each
 * `display_freq` step, the input labels in the dataset's palette, the synthesized image and the real
 * image, newest first; above them the loss plot. Images are PNGs in `web/images/`.
 *
 * @module
 */
import { LOSS_NAMES } from "../losses/catalog.ts";
import { join } from "node:path";
import { tf } from "../../backends/tf.ts";
import { idsToColors, type Palette } from "../data/palette.ts";
import { imageToRaster, writePng } from "../data/write_image.ts";
import { lossPlotSvg } from "./loss_plot.ts";
import type { LossRecord } from "./loss_log.ts";

/** The images of one display step. */
export interface Visuals {
  /** Class ids `[1, H, W, 1]` (int32), or an RGB input `[1, H, W, 3]` in [-1, 1] when label_nc is 0. */
  label: tf.Tensor4D;
  /** The generator's output `[1, H, W, 3]` in [-1, 1]. */
  synthesized: tf.Tensor4D;
  /** The real photo `[1, H, W, 3]` in [-1, 1]. */
  real: tf.Tensor4D;
}

const KINDS = ["input_label", "synthesized_image", "real_image"] as const;
const FILE_RE = /^epoch(\d+)_iter(\d+)_(input_label|synthesized_image|real_image)\.png$/;

/**
 * Writes one display step's images to `web/images/` and rewrites the page.
 *
 * @param webDir the `web` folder (created if missing)
 * @param step epoch and samples done in the run (names the files)
 * @param visuals the three images (not disposed)
 * @param palette the dataset's class colours for the label map
 */
export async function saveVisuals(
  webDir: string,
  step: { epoch: number; totalSteps: number },
  visuals: Visuals,
  palette: Palette,
): Promise<void> {
  const images = join(webDir, "images");
  const label = visuals.label.dtype === "int32"
    ? idsToColors(
      {
        width: visuals.label.shape[2],
        height: visuals.label.shape[1],
        channels: 1,
        data: labelIds(visuals.label),
      },
      palette,
    )
    : await imageToRaster(visuals.label);
  const rasters = [label, await imageToRaster(visuals.synthesized), await imageToRaster(visuals.real)];
  const stem = `epoch${String(step.epoch).padStart(3, "0")}_iter${String(step.totalSteps).padStart(7, "0")}`;
  for (const [i, kind] of KINDS.entries()) await writePng(join(images, `${stem}_${kind}.png`), rasters[i]);
}

function labelIds(label: tf.Tensor4D): Int32Array {
  const first = tf.slice(label, [0, 0, 0, 0], [1, -1, -1, 1]);
  const ids = first.dataSync() as Int32Array;
  first.dispose();
  return ids;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/**
 * Writes `web/index.html` from the images in `web/images/` and the loss log.
 *
 * @param webDir the `web` folder
 * @param name the experiment's name (the page title)
 * @param records the loss log
 * @param refreshSeconds the page reloads itself this often (0: never)
 * @returns the page's path
 */
export async function writeWebPage(
  webDir: string,
  name: string,
  records: readonly LossRecord[],
  refreshSeconds = 60,
): Promise<string> {
  const steps = new Map<string, { epoch: number; iter: number; kinds: Set<string> }>();
  try {
    for await (const entry of Deno.readDir(join(webDir, "images"))) {
      const m = FILE_RE.exec(entry.name);
      if (!m) continue;
      const key = `epoch${m[1]}_iter${m[2]}`;
      const step = steps.get(key) ?? { epoch: +m[1], iter: +m[2], kinds: new Set() };
      step.kinds.add(m[3]);
      steps.set(key, step);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const rows = [...steps.entries()].sort((a, b) => b[1].iter - a[1].iter).map(([key, s]) => {
    const cells = KINDS.filter((k) => s.kinds.has(k)).map((k) =>
      `<td><a href="images/${key}_${k}.png"><img src="images/${key}_${k}.png" alt="${k}"></a><br>${
        k.replace("_", " ")
      }</td>`
    ).join("");
    return `<h3>epoch ${s.epoch}, iteration ${s.iter}</h3>\n<table><tr>${cells}</tr></table>`;
  });
  const last = records.length ? records[records.length - 1] : undefined;
  const summary = last
    ? `<p>epoch ${last.epoch}, iteration ${last.total_steps}, lr ${last.lr.toExponential(3)}: ` +
      LOSS_NAMES.map((k) => `${k} ${last[k].toFixed(3)}`)
        .join(", ") +
      `</p>`
    : "<p>no losses logged yet</p>";
  const title = escapeHtml(`pix2pixHD training: ${name}`);
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8">${
    refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : ""
  }
<title>${title}</title>
<style>body{font-family:sans-serif;margin:1em}img{max-width:400px;image-rendering:pixelated}td{text-align:center;vertical-align:top;padding:4px}</style>
</head><body>
<h1>${title}</h1>
${summary}
${lossPlotSvg(records)}
${rows.join("\n") || "<p>no images yet</p>"}
</body></html>
`;
  const path = join(webDir, "index.html");
  await Deno.mkdir(webDir, { recursive: true });
  await Deno.writeTextFile(path, html);
  return path;
}
