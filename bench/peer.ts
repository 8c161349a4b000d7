/**
 * The PyTorch peer of `bench nets|train --peer pytorch`: the official code, read from the user's
 * checkout (`--official_repo`), timed by `bench/peer/pytorch_peer.py` under the user's Python
 * (`--python`), one case per process.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { BenchCase, CaseTiming } from "./cases.ts";
import { failureLine, runJsonProcess } from "./json_process.ts";

/** The peer script, in this repository. */
export const PEER_SCRIPT = fileURLToPath(new URL("./peer/pytorch_peer.py", import.meta.url));

/** Where the peer runs. */
export interface PeerConfig {
  /** The Python executable (a path or a name on PATH). */
  python: string;
  /** A checkout of NVIDIA/pix2pixHD. */
  officialRepo: string;
  /** torch threads. */
  threads: number;
}

/** What the peer's Python has. */
export interface PeerFacts {
  /** Python's version. */
  python: string;
  /** torch's version. */
  torch: string;
  /** torchvision's version. */
  torchvision: string;
  /** torch threads in effect. */
  threads: number;
}

/** One case timed by the peer. */
export interface PeerTiming extends CaseTiming {
  /** The peer process's peak RSS, in bytes (null where the OS does not say). */
  peakRssBytes: number | null;
}

/** The peer cannot run at all (no Python, no torch, no official code): one line for the user. */
export class PeerError extends Error {
  /** @param message what is wrong and how to fix it */
  constructor(message: string) {
    super(message);
    this.name = "PeerError";
  }
}

async function ask(config: PeerConfig, args: string[]) {
  try {
    return await runJsonProcess(
      config.python,
      [PEER_SCRIPT, "--official_repo", config.officialRepo, "--threads", String(config.threads), ...args],
      Deno.cwd(),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      throw new PeerError(
        `--python ${config.python}: cannot run it (${error.message}); install Python 3 with torch ` +
          "(Debian: apt-get install python3-torch python3-torchvision) or name it with --python",
      );
    }
    throw error;
  }
}

/**
 * Checks that the peer can run: the Python starts, imports torch and torchvision, and the official
 * checkout has its code.
 *
 * @param config the peer's Python, checkout and threads
 * @returns the versions and threads the peer will use
 * @throws {PeerError} with the peer's own one-line reason otherwise
 */
export async function checkPeer(config: PeerConfig): Promise<PeerFacts> {
  const result = await ask(config, ["--check"]);
  const a = result.answer;
  if (result.code !== 0 || !a || a.ok !== true) throw new PeerError(failureLine("the PyTorch peer", result));
  return {
    python: String(a.python),
    torch: String(a.torch),
    torchvision: String(a.torchvision),
    threads: Number(a.threads),
  };
}

function caseArgs(c: BenchCase, reps: number): string[] {
  const size = ["--ngf", String(c.ngf), "--width", String(c.width), "--height", String(c.height)];
  const kind = c.kind === "forward" ? ["--kind", "forward", "--netG", c.netG] : ["--kind", "train"];
  return [...kind, ...size, "--warmup", "1", "--reps", String(reps)];
}

/**
 * Times one case with the official code, in a process of its own.
 *
 * @param config the peer's Python, checkout and threads
 * @param c the case
 * @param reps timed runs after one warm-up
 * @returns the timing, or `{error}` with one line when that case failed (others may still run)
 */
export async function runPeerCase(
  config: PeerConfig,
  c: BenchCase,
  reps: number,
): Promise<PeerTiming | { error: string }> {
  const result = await ask(config, caseArgs(c, reps));
  const a = result.answer;
  if (result.code !== 0 || !a || a.ok !== true || typeof a.seconds !== "number") {
    return { error: failureLine("the PyTorch peer", result) };
  }
  return {
    seconds: a.seconds,
    times: a.times as number[],
    firstSeconds: Number(a.first_seconds),
    peakRssBytes: typeof a.peak_rss_bytes === "number" ? a.peak_rss_bytes : null,
  };
}
