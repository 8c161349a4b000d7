/**
 * Runs the cases of `bench nets|train` side by side: for each case, ours on each backend, then the
 * official PyTorch code's (the peer, when there is one), each in a process of its own, so both run
 * under the same load within seconds of each other and each peak RSS is the case's own; `rounds`
 * repeats that pair in turn and takes the median round's ratio. Without a
 * peer, PyTorch's figure is the dated reference (bench/cases.ts), and the report says so.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { selectBackend } from "../backends/select.ts";
import { createLogger } from "../kernel/log.ts";
import {
  type BenchCase,
  type BenchKind,
  type CaseTiming,
  describeCase,
  estimateGmac,
  PYTORCH_REFERENCE,
} from "./cases.ts";
import { failureLine, runJsonProcess } from "./json_process.ts";
import { checkPeer, type PeerConfig, type PeerFacts, runPeerCase } from "./peer.ts";
import { probeOnnxRuntime } from "../plugins/inference/onnx_runtime.ts";

const ONE_CASE = fileURLToPath(new URL("./one_case.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../deno.json", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** What a side-by-side run needs. */
export interface SideBySideOptions {
  /** Which bench: forward cases (`nets`) or training iterations (`train`). */
  kind: BenchKind;
  /** The cases, in order. */
  cases: BenchCase[];
  /**
   * Our backends, in order (and `onnxruntime`, the onnxruntime runtime, for `nets`); those that do not
   * load here are left out with a warning.
   */
  backends: string[];
  /** Timed runs per case, after the warm-up. */
  reps: number;
  /**
   * Times each case runs, ours then PyTorch's in turn (default 1): the machine's speed drifts over
   * minutes, so the ratio is the median of each round's ratio, and the times the median of the rounds'.
   */
  rounds?: number;
  /** The PyTorch peer, or null to compare with the dated reference. */
  peer: PeerConfig | null;
  /** Why ours is not run for a case on a backend (too slow), or null. */
  skip?(c: BenchCase, backend: string): string | null;
}

/** One side's figures for a case. */
export interface SideFigures extends CaseTiming {
  /** Peak RSS of the process that ran the case, in bytes (null where the OS does not say). */
  peakRssBytes: number | null;
}

/** Where the PyTorch figures come from. */
export type PyTorchSource =
  | ({ source: "peer"; officialRepo: string } & PeerFacts)
  | { source: "reference"; date: string; where: string };

/** One case on one of our backends, beside PyTorch. */
export interface SideBySideRow {
  /** Case name. */
  case: string;
  /** The case in words. */
  what: string;
  /** Our backend. */
  backend: string;
  /** Our figures, or null when skipped or failed. */
  ours: (SideFigures & { threads: number; memoryGiB?: number }) | null;
  /** Why ours has no figures, or null. */
  oursNote: string | null;
  /** PyTorch's figures (the peer's, or the reference's seconds alone), or null. */
  pytorch: (Partial<SideFigures> & { seconds: number }) | null;
  /** Why PyTorch has no figures, or null. */
  pytorchNote: string | null;
  /** ours / PyTorch seconds (< 1: we are faster; over several rounds, the median round's), or null. */
  ratio: number | null;
  /** Each round's ours / PyTorch seconds, in order (one entry for a single round). */
  roundRatios: number[];
  /** ours / PyTorch peak RSS, or null. */
  rssRatio: number | null;
  /** Conv GMAC/s of ours (estimated MACs over our time), or null. */
  gmacs: number | null;
}

/** What a side-by-side run found. */
export interface SideBySideReport {
  /** Which bench. */
  kind: BenchKind;
  /** Where PyTorch's figures come from. */
  pytorch: PyTorchSource;
  /** Our backends that loaded. */
  backends: string[];
  /** One row per case and backend, in the order they ran. */
  rows: SideBySideRow[];
}

/** Our figures for a case, and PyTorch's. */
type OursFigures = NonNullable<SideBySideRow["ours"]>;
type PyTorchFigures = NonNullable<SideBySideRow["pytorch"]>;

/** One side's outcome for a case: its figures, or a note saying why there are none. */
interface Outcome<F> {
  figures: F | null;
  note: string | null;
}

async function runOurs(
  kind: BenchKind,
  c: BenchCase,
  backend: string,
  reps: number,
): Promise<Outcome<OursFigures>> {
  const result = await runJsonProcess(
    Deno.execPath(),
    [
      "run",
      "-A",
      `--config=${CONFIG}`,
      ONE_CASE,
      ...["--kind", kind, "--case", c.name, "--backend", backend, "--reps", String(reps)],
    ],
    ROOT,
  );
  const a = result.answer;
  if (result.code !== 0 || !a || a.ok !== true) {
    return { figures: null, note: `failed: ${failureLine("ours", result)}` };
  }
  if (typeof a.skipped === "string") return { figures: null, note: `skipped: ${a.skipped}` };
  if (typeof a.seconds !== "number") return { figures: null, note: `failed: ours answered no seconds` };
  const { ok: _ok, ...figures } = a;
  return { figures: figures as unknown as OursFigures, note: null };
}

async function runPyTorch(
  peer: PeerConfig | null,
  c: BenchCase,
  reps: number,
): Promise<Outcome<PyTorchFigures>> {
  if (!peer) {
    const seconds = PYTORCH_REFERENCE.seconds[c.name];
    return seconds === undefined
      ? { figures: null, note: `no reference for ${c.name}` }
      : { figures: { seconds }, note: null };
  }
  const timing = await runPeerCase(peer, c, reps);
  return "error" in timing
    ? { figures: null, note: `PyTorch failed: ${timing.error}` }
    : { figures: timing, note: null };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One side's rounds as one outcome: the median seconds, every time, the first round's first run, the peak RSS. */
function combineRounds<F extends Partial<SideFigures> & { seconds: number }>(
  rounds: readonly Outcome<F>[],
): Outcome<F> {
  const failed = rounds.find((r) => r.figures === null);
  if (failed || rounds.length === 1) return failed ?? rounds[0];
  const figures = rounds.map((r) => r.figures!);
  const rss = figures.map((f) => f.peakRssBytes).filter((b): b is number => typeof b === "number");
  return {
    figures: {
      ...figures[0],
      seconds: median(figures.map((f) => f.seconds)),
      ...(figures[0].times ? { times: figures.flatMap((f) => f.times ?? []) } : {}),
      ...(rss.length ? { peakRssBytes: Math.max(...rss) } : {}),
    },
    note: null,
  };
}

function row(
  c: BenchCase,
  backend: string,
  oursRounds: readonly Outcome<OursFigures>[],
  torchRounds: readonly Outcome<PyTorchFigures>[],
): SideBySideRow {
  const ours = combineRounds(oursRounds);
  const torch = combineRounds(torchRounds);
  const o = ours.figures;
  const p = torch.figures;
  const rss = (x: { peakRssBytes?: number | null } | null) => x?.peakRssBytes ?? null;
  const roundRatios = o && p
    ? oursRounds.map((r, i) => r.figures!.seconds / torchRounds[i].figures!.seconds)
    : [];
  return {
    case: c.name,
    what: describeCase(c),
    backend,
    ours: o,
    oursNote: ours.note,
    pytorch: p,
    pytorchNote: torch.note,
    ratio: roundRatios.length ? median(roundRatios) : null,
    roundRatios,
    rssRatio: rss(o) !== null && rss(p) !== null ? rss(o)! / rss(p)! : null,
    gmacs: o ? estimateGmac(c) / o.seconds : null,
  };
}

const gib = (bytes: number | null | undefined) => bytes == null ? "-" : (bytes / 2 ** 30).toFixed(2);
const times = (r: number | null) => r === null ? "-" : `${r.toFixed(2)}×`;

/**
 * The report as a table, with a line above it saying where PyTorch's figures come from.
 *
 * @param report what a run found
 */
export function formatReport(report: SideBySideReport): string {
  const s = report.pytorch;
  const source = s.source === "peer"
    ? `PyTorch: the official code from ${s.officialRepo}, run in this session right after ours for each case ` +
      `(torch ${s.torch}, ${s.threads} threads, Python ${s.python}); ratios < 1: we are faster.`
    : `PyTorch: no peer here, so the dated reference of ${s.date} (${s.where}), not this machine or this run; ` +
      `pass --peer pytorch --official_repo DIR to measure it side by side.`;
  const unit = report.kind === "train" ? " s/it" : " s";
  const head = [
    "case",
    "backend",
    `ours${unit}`,
    "first",
    `PyTorch${unit}`,
    "ours/PyTorch",
    "ours RSS GiB",
    "PyTorch RSS GiB",
    "RSS ratio",
    "≈GMAC/s",
    "note",
  ];
  const rows = report.rows.map((r) => [
    r.case,
    r.backend,
    r.ours ? r.ours.seconds.toFixed(2) : "-",
    r.ours ? r.ours.firstSeconds.toFixed(2) : "-",
    r.pytorch ? r.pytorch.seconds.toFixed(2) : "-",
    times(r.ratio),
    gib(r.ours?.peakRssBytes),
    gib(r.pytorch?.peakRssBytes),
    times(r.rssRatio),
    r.gmacs === null ? "-" : r.gmacs.toFixed(1),
    [
      r.roundRatios.length > 1 ? `rounds ${r.roundRatios.map(times).join(" ")}` : null,
      r.oursNote,
      r.pytorchNote,
    ].filter(Boolean).join("; "),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const lines = [head, ...rows].map((x) => x.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd());
  return [source, ...lines].join("\n");
}

/** Why a backend (or the onnxruntime runtime, for `nets`) cannot run here, or null when it can. */
async function backendProblem(backend: string, kind: BenchKind): Promise<string | null> {
  if (backend === "onnxruntime") {
    if (kind !== "nets") return "onnxruntime runs inference only (bench nets)";
    const probe = await probeOnnxRuntime();
    return probe.loads ? null : probe.detail;
  }
  try {
    await selectBackend(backend);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Runs the cases side by side (progress on stderr).
 *
 * @param opts the cases, backends, repetitions, peer and output
 * @returns the report
 * @throws {PeerError} when a peer is given and cannot run at all (no Python, no torch, no official code)
 */
export async function runSideBySide(opts: SideBySideOptions): Promise<SideBySideReport> {
  const log = createLogger();
  const facts = opts.peer ? await checkPeer(opts.peer) : null;
  const pytorch: PyTorchSource = facts
    ? { source: "peer", officialRepo: opts.peer!.officialRepo, ...facts }
    : { source: "reference", date: PYTORCH_REFERENCE.date, where: PYTORCH_REFERENCE.where };
  const backends: string[] = [];
  for (const backend of opts.backends) {
    const problem = await backendProblem(backend, opts.kind);
    if (problem) log.warn(`bench ${opts.kind}: ${problem}; skipped`);
    else backends.push(backend);
  }
  const rows: SideBySideRow[] = [];
  if (!backends.length) {
    log.warn(`bench ${opts.kind}: none of ${opts.backends.join(", ")} loads here; nothing to run`);
  }
  const rounds = opts.rounds ?? 1;
  for (const c of backends.length ? opts.cases : []) {
    // ours[backend][round], torch[round]
    const ours: Outcome<OursFigures>[][] = backends.map(() => []);
    const torch: Outcome<PyTorchFigures>[] = [];
    for (let round = 0; round < rounds; round++) {
      if (rounds > 1) log.info(`bench ${opts.kind}: ${c.name}: round ${round + 1} of ${rounds}`);
      for (const [i, backend] of backends.entries()) {
        const skipped = opts.skip?.(c, backend) ?? null;
        ours[i].push(
          skipped
            ? { figures: null, note: `skipped: ${skipped}` }
            : await runOurs(opts.kind, c, backend, opts.reps),
        );
      }
      torch.push(await runPyTorch(opts.peer, c, opts.reps));
      if (!opts.peer) break; // the reference does not move: one round says it all
    }
    backends.forEach((backend, i) => {
      const r = row(c, backend, ours[i], torch);
      rows.push(r);
      log.info(
        `bench ${opts.kind}: ${c.name} ${backend}: ours ${r.ours?.seconds.toFixed(2) ?? "-"} s, PyTorch ${
          r.pytorch?.seconds.toFixed(2) ?? "-"
        } s (${facts ? "this run" : `reference ${PYTORCH_REFERENCE.date}`}), ${times(r.ratio)}`,
      );
    });
  }
  return { kind: opts.kind, pytorch, backends, rows };
}
