/**
 * One shard of a batch job: which inputs are its own, which of them a previous (killed, retried) run
 * already finished, and the manifest it leaves when done. An input is complete when all its output
 * files exist: they are written atomically (formats/atomic.ts), so an existing file is a whole one,
 * and a rerun does only what is missing. Without a shard the job does every input, overwrites what is
 * there (as an interactive run should) and writes no manifest.
 *
 * The manifest, `<dir>/shard-<i>-of-<n>.json`, written atomically at the end:
 *
 * ```json
 * { "format": "pix2pixhd-deno-shard/1", "command": "synth", "shard": { "index": 2, "count": 3, "from": "--shard" },
 *   "inputs": ["b", "c"], "outputs": ["…/b_synthesized_image.png"], "skipped": ["c"],
 *   "timings": { "started": "…", "finished": "…", "seconds": 4.2, "per_input": { "b": 3.9 } } }
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { removeStaleTemps, writeFileAtomic } from "../formats/atomic.ts";
import { type Shard, shardInputs, shardLabel } from "./shard.ts";

/** The format tag of shard manifests. */
export const SHARD_MANIFEST_FORMAT = "pix2pixhd-deno-shard/1";

/** What a shard's manifest holds. */
export interface ShardManifest {
  format: typeof SHARD_MANIFEST_FORMAT;
  /** The command that ran. */
  command: string;
  /** 1-based index, count, and where the index came from. */
  shard: { index: number; count: number; from: string };
  /** This shard's inputs, sorted. */
  inputs: string[];
  /** Files this run wrote. */
  outputs: string[];
  /** Inputs a previous run had already completed. */
  skipped: string[];
  /** Wall-clock times: start and end (ISO 8601), seconds in all and per input done. */
  timings: { started: string; finished: string; seconds: number; per_input: Record<string, number> };
}

/**
 * The manifest's path for a shard.
 *
 * @param dir the manifests' folder
 * @param shard the shard
 * @returns `<dir>/shard-<i>-of-<n>.json` (1-based)
 */
export function manifestPath(dir: string, shard: Shard): string {
  return join(dir, `shard-${shard.index + 1}-of-${shard.count}.json`);
}

/** One shard's progress through its inputs. */
export class ShardJob {
  /** The shard, or null when this process does everything. */
  readonly shard: Shard | null;
  /** This shard's inputs, sorted. */
  readonly inputs: readonly string[];
  readonly #command: string;
  readonly #manifestDir: string;
  readonly #mine: ReadonlySet<string>;
  readonly #started = new Date();
  readonly #t0 = performance.now();
  readonly #outputs: string[] = [];
  readonly #skipped: string[] = [];
  readonly #perInput: Record<string, number> = {};

  /**
   * @param command the command's name, for the manifest
   * @param names every input's name (the whole job's, any order)
   * @param shard the shard, or null
   * @param manifestDir where the manifest goes
   */
  constructor(command: string, names: readonly string[], shard: Shard | null, manifestDir: string) {
    this.shard = shard;
    this.inputs = shardInputs(names, shard);
    this.#command = command;
    this.#manifestDir = manifestDir;
    this.#mine = new Set(this.inputs);
  }

  /**
   * Whether an input belongs to this shard.
   *
   * @param name the input's name
   * @returns true when this process must see to it
   */
  owns(name: string): boolean {
    return this.#mine.has(name);
  }

  /**
   * Whether a sharded rerun can skip an input because every output file of it exists (then it is
   * counted as skipped). Otherwise removes the temporary files a killed run left for those outputs.
   * Always false without a shard.
   *
   * @param name the input's name
   * @param files its output files
   * @returns true when the input is already done
   */
  async done(name: string, files: readonly string[]): Promise<boolean> {
    if (!this.shard) return false;
    const exists = await Promise.all(files.map((f) => Deno.stat(f).then((s) => s.isFile, () => false)));
    if (exists.every(Boolean)) {
      this.#skipped.push(name);
      return true;
    }
    for (const file of files) await removeStaleTemps(file);
    return false;
  }

  /**
   * Records an input as done.
   *
   * @param name the input's name
   * @param files the files written for it
   * @param seconds how long it took
   */
  record(name: string, files: readonly string[], seconds: number): void {
    this.#outputs.push(...files);
    this.#perInput[name] = Math.round(seconds * 1000) / 1000;
  }

  /**
   * Records a file written for the shard as a whole (e.g. its report).
   *
   * @param file the file
   */
  wrote(file: string): void {
    this.#outputs.push(file);
  }

  /** Inputs skipped as already complete. */
  get skipped(): readonly string[] {
    return this.#skipped;
  }

  /** A line for the log: "shard 2/3 (from --shard): 2 of 6 inputs". */
  describe(total: number): string {
    return this.shard
      ? `shard ${
        shardLabel(this.shard)
      } (from ${this.shard.from}): ${this.inputs.length} of ${total} input(s)`
      : `${total} input(s)`;
  }

  /**
   * Writes the manifest atomically (sharded runs only).
   *
   * @returns its path, or null without a shard
   * @throws {DataError} when it cannot be written
   */
  async finish(): Promise<string | null> {
    if (!this.shard) return null;
    const manifest: ShardManifest = {
      format: SHARD_MANIFEST_FORMAT,
      command: this.#command,
      shard: { index: this.shard.index + 1, count: this.shard.count, from: this.shard.from },
      inputs: [...this.inputs],
      outputs: this.#outputs,
      skipped: this.#skipped,
      timings: {
        started: this.#started.toISOString(),
        finished: new Date().toISOString(),
        seconds: Math.round(performance.now() - this.#t0) / 1000,
        per_input: this.#perInput,
      },
    };
    await Deno.mkdir(this.#manifestDir, { recursive: true });
    const path = manifestPath(this.#manifestDir, this.shard);
    await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"));
    return path;
  }
}
