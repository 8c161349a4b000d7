/**
 * Resuming a run: the options stored in its checkpoint against the ones on the command line. Options
 * the user did not type come from the checkpoint; typed ones that define the model or the data must
 * agree with it, and every disagreement is reported at once instead of being merged.
 *
 * @module
 */
import { CheckpointError } from "../../kernel/errors.ts";
import { resolveTrainOptions, RUN_CONTROL_KEYS, type TrainOptions, trainSchema } from "./options.ts";

/** One option whose stored and given values differ. */
export interface ConfigConflict {
  /** The option. */
  key: string;
  /** Its value in the checkpoint. */
  stored: unknown;
  /** Its value on the command line. */
  given: unknown;
}

/**
 * The options a resumed run uses.
 *
 * @param stored the full config saved in the checkpoint
 * @param given the options the user typed (only those)
 * @param file the checkpoint file, for errors
 * @returns the stored config with the typed run-control options (frequencies, epochs, …) over it
 * @throws {CheckpointError} listing every conflict as `key: stored X, given Y`
 */
export function mergeStoredConfig(
  stored: Record<string, unknown>,
  given: Record<string, unknown>,
  file: string,
): TrainOptions {
  const known = {
    ...Object.fromEntries(Object.entries(stored).filter(([key]) => key in trainSchema)),
    load_pretrain: "",
    debug: false,
  };
  const resolved = resolveTrainOptions({ ...known, ...given });
  const conflicts = findConflicts(resolveTrainOptions(known), resolved, given);
  if (conflicts.length) {
    const list = conflicts.map((c) =>
      `${c.key}: stored ${JSON.stringify(c.stored)}, given ${JSON.stringify(c.given)}`
    );
    throw new CheckpointError(
      file,
      `the command line conflicts with the run's stored options (${
        list.join("; ")
      }); drop those flags to resume, or train under another --name`,
    );
  }
  return resolved;
}

/** The typed options that would change the model or the data of a stored run, in schema order. */
function findConflicts(
  stored: TrainOptions,
  resolved: TrainOptions,
  given: Record<string, unknown>,
): ConfigConflict[] {
  const out: ConfigConflict[] = [];
  for (const key of Object.keys(trainSchema) as (keyof TrainOptions)[]) {
    if (!(key in given) || RUN_CONTROL_KEYS.has(key)) continue;
    if (stored[key] !== resolved[key]) out.push({ key, stored: stored[key], given: resolved[key] });
  }
  return out;
}
