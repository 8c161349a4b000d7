/**
 * Runs a recipe as a user does, in a process of its own, for the tests of scripts and recipes.
 *
 * @module
 */

/** What a finished process said. */
export interface Finished {
  /** Its exit code. */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/**
 * Runs `deno <args>` (e.g. `run -A scripts/synth.ts …`) with this Deno and collects its output.
 *
 * @param args Deno's arguments
 * @param options the working folder and extra environment variables
 * @returns the exit code and both outputs, decoded
 */
export async function runDeno(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Finished> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The project's root folder. */
export const ROOT = new URL("../", import.meta.url).pathname;

/**
 * Runs a recipe (`scripts/<name>.ts`) from the project's root, as `deno task <name>` does.
 *
 * @param name the recipe, e.g. "train"
 * @param args its arguments
 * @param backend the compute backend (through `P2PHD_BACKEND`)
 * @returns the exit code and both outputs
 */
export function runRecipe(name: string, args: string[], backend: string): Promise<Finished> {
  return runDeno(["run", "-A", "--no-check", `scripts/${name}.ts`, ...args], {
    cwd: ROOT,
    env: { NO_COLOR: "1", P2PHD_BACKEND: backend },
  });
}
