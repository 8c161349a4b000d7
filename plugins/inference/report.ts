/**
 * An HTML report of synthesized images: one row per sample with the label map in its dataset's
 * palette, the synthesized image(s) and the real photo where there is one. Images are PNG files in an
 * `images/` folder beside `index.html`, so the report opens from disk in any browser.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../formats/atomic.ts";

/** One row: a caption and images (paths relative to the report's folder). */
export interface ReportRow {
  /** The sample's name. */
  name: string;
  /** Labelled images in this row, left to right. */
  images: { label: string; src: string }[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/**
 * Writes `index.html` in `dir`.
 *
 * @param dir the report folder (must exist)
 * @param title the page title
 * @param rows the rows, top to bottom
 * @param notes paragraphs shown under the title (plain text)
 * @returns the path of `index.html`
 */
export async function writeReport(
  dir: string,
  title: string,
  rows: ReportRow[],
  notes: string[] = [],
): Promise<string> {
  const body = rows.map((row) =>
    `<section><h2>${escapeHtml(row.name)}</h2><div class="row">${
      row.images.map((im) =>
        `<figure><img src="${escapeHtml(im.src)}" alt="${escapeHtml(im.label)}"><figcaption>${
          escapeHtml(im.label)
        }</figcaption></figure>`
      ).join("")
    }</div></section>`
  ).join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; background: #fafafa; color: #222 }
.row { display: flex; flex-wrap: wrap; gap: .75rem }
figure { margin: 0 } img { max-width: 512px; width: 100%; image-rendering: auto; border: 1px solid #ddd }
figcaption { font-size: .85rem; color: #555 } h2 { font-size: 1rem; margin: 1.2rem 0 .4rem }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${notes.map((n) => `<p>${escapeHtml(n)}</p>`).join("\n")}
${body}
</body></html>
`;
  const path = join(dir, "index.html");
  await writeFileAtomic(path, new TextEncoder().encode(html));
  return path;
}
