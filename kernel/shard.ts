/**
 * Sharding a batch job over many processes, the way batch engines start them: `--shard i/n`
 * (1-based, as Playwright and Jest spell it), else the index a Kubernetes Indexed Job gives each pod
 * (`JOB_COMPLETION_INDEX`, 0-based, with `--shards n` = the Job's `completions`), else a Slurm job
 * array's (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN`, divided by `SLURM_ARRAY_TASK_STEP`, of
 * `SLURM_ARRAY_TASK_COUNT`).
 *
 * Inputs are sorted by name and cut into `n` contiguous runs whose sizes differ by at most one, so
 * every shard of every process agrees on who does what without talking to the others.
 *
 * @example
 * ```ts
 * const shard = resolveShard({ shard: "2/3", shards: null }, (name) => Deno.env.get(name));
 * shardInputs(["c", "a", "b", "d"], shard); // ["b", "c"]
 * ```
 *
 * @module
 */
import { UsageError } from "./cli.ts";
import { defineSchema } from "./options.ts";

/** Which part of the inputs this process does. */
export interface Shard {
  /** 0-based index, below `count`. */
  index: number;
  /** Number of shards. */
  count: number;
  /** Where the index came from: "--shard", "JOB_COMPLETION_INDEX" or "SLURM_ARRAY_TASK_ID". */
  from: string;
}

/** The sharding options every batch command takes. */
export const shardSchema = defineSchema({
  shard: {
    type: "string",
    default: null,
    doc: "do only part i of n of the sorted inputs (1-based: 1/3, 2/3, 3/3); default: from " +
      "JOB_COMPLETION_INDEX (with --shards) or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT",
  },
  shards: {
    type: "int",
    default: null,
    min: 1,
    doc:
      "number of shards when the index comes from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's completions)",
  },
});

/** Reads an environment variable (`Deno.env.get`, or a map in tests). */
export type EnvLookup = (name: string) => string | undefined;

function wholeNumber(text: string): number | null {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
}

function checked(index: number, count: number, from: string, shown: string): Shard {
  if (count < 1) throw new UsageError(`${shown}: the shard count must be at least 1`);
  if (index < 0 || index >= count) {
    throw new UsageError(
      from === "--shard"
        ? `${shown}: the shard index must be between 1 and ${count} (1-based, as in 1/${count} … ${count}/${count})`
        : `${shown}: the shard index must be between 0 and ${count - 1} for ${count} shard(s)`,
    );
  }
  return { index, count, from };
}

/**
 * Parses `--shard i/n`.
 *
 * @param text the flag's value, e.g. "2/3"
 * @returns the shard (0-based index)
 * @throws {UsageError} when it is not `i/n`, names no count, or `i` is not in 1…n
 */
export function parseShardFlag(text: string): Shard {
  const shown = `--shard ${text}`;
  const parts = text.split("/");
  if (parts.length === 1 && wholeNumber(parts[0]) !== null) {
    throw new UsageError(`${shown}: the shard count is missing: write i/n, e.g. ${parts[0].trim()}/3`);
  }
  const [i, n] = parts.map(wholeNumber);
  if (parts.length !== 2 || i === null || n === null) {
    throw new UsageError(`${shown}: must be i/n with whole numbers, e.g. 2/3 (the second of three shards)`);
  }
  return checked(i - 1, n, "--shard", shown);
}

function fromSlurm(id: string, shards: number | null, env: EnvLookup): Shard {
  const count = shards ?? wholeNumber(env("SLURM_ARRAY_TASK_COUNT") ?? "");
  const shown = `SLURM_ARRAY_TASK_ID=${id}`;
  if (count === null) {
    throw new UsageError(
      `${shown} is set but SLURM_ARRAY_TASK_COUNT is not: the shard count is missing (pass --shards N)`,
    );
  }
  const task = wholeNumber(id), min = wholeNumber(env("SLURM_ARRAY_TASK_MIN") ?? "0");
  const step = wholeNumber(env("SLURM_ARRAY_TASK_STEP") ?? "1") || 1;
  if (task === null || min === null || (task - min) % step !== 0) {
    throw new UsageError(
      `${shown} (SLURM_ARRAY_TASK_MIN=${env("SLURM_ARRAY_TASK_MIN")}): not a task of a contiguous ` +
        `array; submit with sbatch --array=0-${count - 1}`,
    );
  }
  return checked((task - min) / step, count, "SLURM_ARRAY_TASK_ID", `${shown} of ${count}`);
}

/**
 * The shard of this process: `--shard`, else a Kubernetes Indexed Job's index, else a Slurm array
 * task; null when none is set (the process does every input).
 *
 * @param flags `shard` (`i/n`) and `shards` (the count for `JOB_COMPLETION_INDEX`)
 * @param env environment lookup
 * @param unshardable set when this invocation has nothing to split (e.g. "one --label map"): then
 *   the environment is ignored and the flags are an error
 * @returns the shard, or null
 * @throws {UsageError} for a malformed or out-of-range index, an index without a count,
 *   `--shards` without an index to go with it, or either flag on an unshardable invocation
 */
export function resolveShard(
  flags: { shard: string | null; shards: number | null },
  env: EnvLookup,
  unshardable?: string,
): Shard | null {
  if (unshardable !== undefined) {
    if (flags.shard === null && flags.shards === null) return null;
    throw new UsageError(`--shard and --shards split a folder of inputs, not ${unshardable}: drop them`);
  }
  if (flags.shard !== null) {
    if (flags.shards !== null) {
      throw new UsageError(`--shard ${flags.shard} already names the count: drop --shards ${flags.shards}`);
    }
    return parseShardFlag(flags.shard);
  }
  const k8s = env("JOB_COMPLETION_INDEX");
  if (k8s !== undefined && k8s !== "") {
    const index = wholeNumber(k8s);
    if (flags.shards === null) {
      throw new UsageError(
        `JOB_COMPLETION_INDEX=${k8s} is set (a Kubernetes Indexed Job) but the shard count is missing: ` +
          `pass --shards N (the Job's completions)`,
      );
    }
    if (index === null) throw new UsageError(`JOB_COMPLETION_INDEX=${k8s}: must be a whole number`);
    return checked(
      index,
      flags.shards,
      "JOB_COMPLETION_INDEX",
      `JOB_COMPLETION_INDEX=${k8s} of ${flags.shards}`,
    );
  }
  const slurm = env("SLURM_ARRAY_TASK_ID");
  if (slurm !== undefined && slurm !== "") return fromSlurm(slurm, flags.shards, env);
  if (flags.shards !== null) {
    throw new UsageError(
      `--shards ${flags.shards} needs JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job) or ` +
        `SLURM_ARRAY_TASK_ID; to pick a shard by hand pass --shard i/${flags.shards}`,
    );
  }
  return null;
}

/**
 * The inputs of one shard: the names sorted (by UTF-16 code units, the same on every machine and
 * locale), cut into `count` contiguous runs whose sizes differ by at most one.
 *
 * @param names every input's name (any order; names must be distinct)
 * @param shard the shard, or null for all of them
 * @returns this shard's names, sorted
 */
export function shardInputs(names: readonly string[], shard: Shard | null): string[] {
  const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (!shard) return sorted;
  const start = Math.floor((shard.index * sorted.length) / shard.count);
  const end = Math.floor(((shard.index + 1) * sorted.length) / shard.count);
  return sorted.slice(start, end);
}

/**
 * A shard as people write it: "2/3" (1-based).
 *
 * @param shard the shard
 * @returns `i/n`
 */
export function shardLabel(shard: Shard): string {
  return `${shard.index + 1}/${shard.count}`;
}
