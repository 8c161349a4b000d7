/**
 * Studio benchmark: edit-to-new-image latency on the server side (not a timed test).
 *
 * - `shipped`: the shipped model (`weights/label2city_256p`) at its size (256×128) on the first bundled
 *   test scene, through the studio's own request handler (in process, no network): a POST of an edit
 *   (brush stroke, or a car's style; the autosave is written after the answer), then the GET of the new
 *   image (synthesis + PNG).
 * - `official-1024p`: the official 1024p architecture (local enhancer ngf 32, one enhancer, 36 input
 *   channels; random weights) on the bundled scene scaled to 2048×1024: a brush stroke, then the new image
 *   (renderer + PNG), and the same at 512×256 (what the page's quick preview of such a scene costs: its
 *   maps scaled to 512 px wide).
 *
 * One warm-up edit, then `reps` (`official_reps`) timed ones; median and slowest.
 *
 * @module
 */
import { join } from "node:path";
import { imageToPng } from "../plugins/data/write_image.ts";
import { readImageFile } from "../plugins/data/decode.ts";
import { toInstanceIds, toLabelIds } from "../plugins/data/maps.ts";
import { resizeNearest } from "../plugins/data/resize.ts";
import { SceneRenderer } from "../plugins/editing/renderer.ts";
import { Scene } from "../plugins/editing/scene.ts";
import { LocalEnhancer } from "../plugins/networks/local_enhancer.ts";
import { openStudio } from "../plugins/studio/open.ts";
import { listDataset } from "../plugins/studio/scene_source.ts";

const root = new URL("../", import.meta.url).pathname;

/** One measured kind of edit. */
export interface StudioBenchRow {
  case: string;
  /** What the timed span covers. */
  what: string;
  size: string;
  /** Milliseconds per edit: median and slowest of the timed runs. */
  median_ms: number;
  max_ms: number;
  runs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function timed(reps: number, run: (i: number) => Promise<void>): Promise<number[]> {
  await run(-1);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await run(i);
    times.push(performance.now() - t);
  }
  return times;
}

function row(name: string, what: string, size: string, times: number[]): StudioBenchRow {
  return {
    case: name,
    what,
    size,
    median_ms: Number(median(times).toFixed(1)),
    max_ms: Number(Math.max(...times).toFixed(1)),
    runs: times.length,
  };
}

async function benchShipped(reps: number): Promise<StudioBenchRow[]> {
  const stateDir = await Deno.makeTempDir({ prefix: "studio-bench-" });
  const opened = await openStudio({
    model: join(root, "weights/label2city_256p"),
    dataroot: join(root, "datasets/cityscapes"),
    stateDir,
  });
  const sid = "bench-0000-0000";
  const call = async (path: string, body?: unknown) => {
    const response = await opened.studio.handle(
      new Request(`http://studio/api/${path}${path.includes("?") ? "&" : "?"}sid=${sid}`, {
        method: body ? "POST" : "GET",
        headers: body ? { "content-type": "application/json" } : {},
        body: body ? JSON.stringify(body) : undefined,
      }),
    );
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  const editThenImage = async (op: Record<string, unknown>) => {
    const state = await (await call("edit", op)).json();
    await (await call(`render?state=${state.stateId}`)).arrayBuffer();
  };
  try {
    const state = await (await call("state")).json();
    await (await call(`render?state=${state.stateId}`)).arrayBuffer();
    const size = `${state.width}×${state.height}`;
    const paint = await timed(reps, (i) =>
      editThenImage({
        op: "paint",
        class: i % 2 ? 21 : 22,
        points: [[20 + ((i + 1) * 23) % 200, 100], [40 + ((i + 1) * 23) % 200, 104]],
        radius: 5,
      }));
    const maps = new Uint16Array(await (await call("maps")).arrayBuffer());
    const car = maps.subarray(maps.length / 2).find((id) => Math.floor(id / 1000) === 26)!;
    const info = await (await opened.studio.handle(new Request("http://studio/api/info"))).json();
    const clusters: number = info.styles[26] ?? 1;
    const style = await timed(
      reps,
      (i) => editThenImage({ op: "style", id: car, cluster: (i + 2) % clusters }),
    );
    const undo = await timed(reps, (i) => editThenImage({ op: i % 2 ? "redo" : "undo" }));
    return [
      row("shipped", "brush stroke: edit (+ autosave snapshot) + synthesis + PNG", size, paint),
      row("shipped", "a car's style: edit (+ autosave snapshot) + synthesis + PNG", size, style),
      row("shipped", "undo or redo: edit (+ autosave snapshot) + the state's kept PNG", size, undo),
    ];
  } finally {
    await opened.studio.flush();
    opened.dispose();
    await Deno.remove(stateDir, { recursive: true });
  }
}

async function benchOfficial(reps: number, width: number): Promise<StudioBenchRow> {
  const entry = listDataset(join(root, "datasets/cityscapes"))[0];
  const height = width / 2;
  const label = resizeNearest(toLabelIds(await readImageFile(entry.label), entry.label), width, height);
  const inst = resizeNearest(toInstanceIds(await readImageFile(entry.inst!), entry.inst!), width, height);
  const scene = Scene.create(label, inst, new Map(), { label_nc: 35, feat_num: 0 });
  const G = new LocalEnhancer({ input_nc: 36, ngf: 32, n_local_enhancers: 1 });
  const renderer = new SceneRenderer(scene, (x) => G.apply(x), { multiple: 32, cache_size: 1 });
  try {
    const times = await timed(reps, async (i) => {
      const y = Math.round(height * 0.8), x = Math.round(width * (0.1 + 0.05 * (i + 1)));
      scene.paint({ class: i % 2 ? 21 : 22, points: [[x, y], [x + width / 20, y]], radius: width / 64 });
      const image = await renderer.render();
      try {
        await imageToPng(image);
      } finally {
        image.dispose();
      }
    });
    return row(
      "official-1024p",
      "brush stroke: edit + synthesis (local enhancer ngf 32, random weights) + PNG",
      `${width}×${height}`,
      times,
    );
  } finally {
    renderer.dispose();
    G.dispose();
  }
}

/**
 * Runs the studio benchmark and prints a table (or JSON).
 *
 * @param options timed edits per case (`reps`; `official_reps` for the 1024p cases), whether to run
 *   the 1024p cases, JSON output, the backend's name (for the output)
 * @returns the rows
 */
export async function benchStudio(
  options: { reps: number; official: boolean; official_reps: number; json: boolean; backend: string },
): Promise<StudioBenchRow[]> {
  const rows = await benchShipped(options.reps);
  if (options.official) {
    rows.push(await benchOfficial(options.official_reps, 512));
    rows.push(await benchOfficial(options.official_reps, 2048));
  }
  if (options.json) console.log(JSON.stringify({ backend: options.backend, rows }, null, 2));
  else {
    console.log(`studio edit-to-new-image latency, server side, backend ${options.backend}`);
    for (const r of rows) {
      console.log(
        `${r.case.padEnd(15)} ${r.size.padEnd(10)} median ${r.median_ms.toFixed(0).padStart(6)} ms  ` +
          `max ${r.max_ms.toFixed(0).padStart(6)} ms  (${r.runs} runs)  ${r.what}`,
      );
    }
  }
  return rows;
}
