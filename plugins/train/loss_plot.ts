/**
 * The loss plot of the training web page: an SVG with one panel for the generator's losses and one
 * for the discriminator's, loss against iteration.
 *
 * @module
 */
import type { LossRecord } from "./loss_log.ts";
import { LOSSES, type LossName } from "../losses/catalog.ts";

const COLORS = Object.fromEntries(LOSSES.map((l) => [l.name, l.color])) as Record<LossName, string>;
const PANELS: { title: string; keys: LossName[] }[] = [
  { title: "generator", keys: LOSSES.filter((l) => l.net === "G").map((l) => l.name) },
  { title: "discriminator", keys: LOSSES.filter((l) => l.net === "D").map((l) => l.name) },
];
const W = 640, H = 220, PAD = { left: 56, right: 12, top: 24, bottom: 30 };

function tickLabel(v: number): string {
  return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01)
    ? v.toExponential(1)
    : String(+v.toPrecision(3));
}

function panel(records: LossRecord[], title: string, keys: LossName[], top: number): string {
  const xs = records.map((r) => r.total_steps);
  const shown = keys.filter((k) => records.some((r) => Number.isFinite(r[k]) && r[k] !== 0));
  const ys = records.flatMap((r) => shown.map((k) => r[k]).filter(Number.isFinite));
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const y0 = Math.min(0, ...ys), y1 = Math.max(...ys, y0 + 1e-6);
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (y: number) => top + H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const parts = [
    `<text x="${PAD.left}" y="${top + 16}" font-weight="bold">${title}</text>`,
    `<line x1="${PAD.left}" y1="${py(y0)}" x2="${W - PAD.right}" y2="${py(y0)}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${py(y0)}" x2="${PAD.left}" y2="${py(y1)}" stroke="#888"/>`,
  ];
  for (const t of [0, 0.5, 1]) {
    const y = y0 + t * (y1 - y0), x = x0 + t * (x1 - x0);
    parts.push(`<text x="${PAD.left - 4}" y="${py(y) + 4}" text-anchor="end">${tickLabel(y)}</text>`);
    parts.push(`<text x="${px(x)}" y="${top + H - 10}" text-anchor="middle">${Math.round(x)}</text>`);
  }
  shown.forEach((key, i) => {
    const points = records.filter((r) => Number.isFinite(r[key]))
      .map((r) => `${px(r.total_steps).toFixed(1)},${py(r[key]).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${COLORS[key]}" stroke-width="1.5" points="${points}"/>`);
    const lx = W - PAD.right - 110 * (shown.length - i);
    parts.push(`<rect x="${lx}" y="${top + 8}" width="10" height="10" fill="${COLORS[key]}"/>`);
    parts.push(`<text x="${lx + 14}" y="${top + 17}">${key}</text>`);
  });
  return parts.join("\n");
}

/**
 * Draws the losses of a run.
 *
 * @param records the loss log (any order; drawn by `total_steps`)
 * @returns an `<svg>` element (empty text when there are no records); losses that are zero
 *   throughout (switched off) are left out
 */
export function lossPlotSvg(records: readonly LossRecord[]): string {
  if (!records.length) return "";
  const sorted = [...records].sort((a, b) => a.total_steps - b.total_steps);
  const body = PANELS.map((p, i) => panel(sorted, p.title, p.keys, i * H)).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * PANELS.length}" ` +
    `font-family="sans-serif" font-size="11">\n${body}\n</svg>`;
}
