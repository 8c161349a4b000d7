/**
 * `deno task bench fullsize`: the official generator at the paper's 2048×1024 beside ours. The official
 * code (read from `--official_repo`, run by `bench/peer/full_size_reference.py` under `--python`) builds
 * the 1024p architecture with seeded random weights, saves them in the legacy `torch.save` format as the
 * released checkpoint is, and writes its image of one Cityscapes scene; then `synth`, as a user runs
 * it, writes ours on each backend, and the two images are compared value by value.
 *
 * @module
 */
import { decode } from "fast-png";
import { join } from "node:path";
import { failureLine, runJsonProcess } from "./json_process.ts";

/** What the comparison runs. */
export interface FullSizeOptions {
  /** A checkout of NVIDIA/pix2pixHD. */
  official_repo: string;
  /** The Python with torch. */
  python: string;
  /** Our backends, in order. */
  backends: string[];
  /** The label map (default: the official repository's first bundled test scene). */
  label: string | null;
  /** Its instance map. */
  inst: string | null;
  /** Where the weights and images go (default: a temporary folder, removed afterwards). */
  workdir: string | null;
  /** Generator width (the released 1024p model: 32). */
  ngf: number;
  /** Global res-blocks (9). */
  n_blocks_global: number;
  /** Local res-blocks (3). */
  n_blocks_local: number;
  /** Print JSON. */
  json: boolean;
}

/** How one image agrees with the official one. */
export interface Agreement {
  /** Share of values within one level, in %. */
  within1: number;
  /** Share of equal values, in %. */
  exact: number;
  /** The largest difference in levels. */
  max: number;
}

/** One backend's row of the report. */
export interface FullSizeRow extends Partial<Agreement> {
  backend: string;
  seconds?: number;
  peakMemoryBytes?: number | null;
  error?: string;
}

const SCENE = "frankfurt_000000_000576_gtFine";
const PEER = new URL("./peer/full_size_reference.py", import.meta.url).pathname;
const SYNTH = new URL("../scripts/synth.ts", import.meta.url).pathname;

/**
 * Compares two 8-bit images of the same size.
 *
 * @param ours our image's values
 * @param official the official image's values
 * @returns the agreement
 * @throws {RangeError} when the sizes differ
 */
export function agreement(ours: Uint8Array, official: Uint8Array): Agreement {
  if (ours.length !== official.length) {
    throw new RangeError(`the images differ in size: ${ours.length} vs ${official.length} values`);
  }
  let within1 = 0, exact = 0, max = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - official[i]);
    if (d === 0) exact++;
    if (d <= 1) within1++;
    if (d > max) max = d;
  }
  return { within1: (100 * within1) / ours.length, exact: (100 * exact) / ours.length, max };
}

/**
 * Runs the comparison and prints its table (or JSON).
 *
 * @param o what to run
 * @returns the official run's figures and one row per backend
 */
export async function benchFullSize(
  o: FullSizeOptions,
): Promise<{ official: Record<string, unknown>; rows: FullSizeRow[] }> {
  const label = o.label ?? join(o.official_repo, "datasets/cityscapes/test_label", `${SCENE}_labelIds.png`);
  const inst = o.inst ?? join(o.official_repo, "datasets/cityscapes/test_inst", `${SCENE}_instanceIds.png`);
  const dir = o.workdir ?? await Deno.makeTempDir({ prefix: "p2phd_fullsize_" });
  try {
    const weights = join(dir, "latest_net_G.pth"), officialPng = join(dir, "official.png");
    const peer = await runJsonProcess(o.python, [
      PEER,
      "--official_repo",
      o.official_repo,
      "--label",
      label,
      "--inst",
      inst,
      "--weights",
      weights,
      "--out",
      officialPng,
      "--ngf",
      String(o.ngf),
      "--n_blocks_global",
      String(o.n_blocks_global),
      "--n_blocks_local",
      String(o.n_blocks_local),
    ], Deno.cwd());
    if (peer.code !== 0 || peer.answer === null) throw new Error(failureLine("the official code", peer));
    const official = peer.answer;
    const reference = decode(await Deno.readFile(officialPng)).data as Uint8Array;
    const rows: FullSizeRow[] = [];
    for (const backend of o.backends) {
      const out = join(dir, `ours_${backend}.png`);
      const r = await runJsonProcess(Deno.execPath(), [
        "run",
        "-A",
        SYNTH,
        "--backend",
        backend,
        "--json",
        "--weights",
        weights,
        "--label",
        label,
        "--inst",
        inst,
        "--resize_or_crop",
        "none",
        "--out",
        out,
      ], Deno.cwd());
      if (r.code !== 0 || r.answer === null) {
        rows.push({ backend, error: failureLine("synth", r) });
        continue;
      }
      const result = r.answer as unknown as { images: { seconds: number }[]; peakMemoryBytes: number | null };
      const ours = decode(await Deno.readFile(out)).data as Uint8Array;
      rows.push({
        backend,
        ...agreement(ours, reference),
        seconds: result.images[0].seconds,
        peakMemoryBytes: result.peakMemoryBytes,
      });
    }
    report(o, official, rows);
    return { official, rows };
  } finally {
    if (o.workdir === null) await Deno.remove(dir, { recursive: true });
  }
}

function report(o: FullSizeOptions, official: Record<string, unknown>, rows: FullSizeRow[]): void {
  if (o.json) {
    console.log(JSON.stringify({ official, rows }));
    return;
  }
  const gib = (b: number | null | undefined) => b == null ? "?" : `${(b / 2 ** 30).toFixed(2)} GiB`;
  console.log(
    `official local generator (ngf ${o.ngf}, ${o.n_blocks_global}+${o.n_blocks_local} res-blocks) at 2048×1024: ` +
      `${official.seconds} s, peak RSS ${official.peak_rss_mib} MiB (PyTorch ${official.torch})`,
  );
  console.log("backend  within 1 level  exact     max  forward   peak memory");
  for (const r of rows) {
    if (r.error) console.log(`${r.backend.padEnd(8)} failed: ${r.error}`);
    else {
      console.log(
        `${r.backend.padEnd(8)} ${r.within1!.toFixed(3).padStart(8)} %     ${
          r.exact!.toFixed(2).padStart(6)
        } %  ${String(r.max).padStart(3)}  ${r.seconds!.toFixed(1).padStart(6)} s  ${gib(r.peakMemoryBytes)}`,
      );
    }
  }
}
