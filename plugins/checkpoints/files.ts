/**
 * Where a run's networks live, the one place that knows the names. A checkpoint `<which>` ("latest",
 * an epoch) of run `<name>` in `<checkpoints_dir>/<name>/` holds `<which>_net_<G|D|E>.safetensors`
 * (ours, with the config in its metadata) or the official PyTorch code's `<which>_net_<G|D|E>.pth`;
 * ours is preferred where both exist. Our training state is `<which>_train_state.safetensors`.
 * Errors name the flags of the command that asked.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { OptionsError } from "../../kernel/errors.ts";

/** A network of a run: the generator, the multi-scale discriminator or the feature encoder. */
export type NetworkLetter = "G" | "D" | "E";

/** File formats of a network, in the order they are looked for. */
const FORMATS = ["safetensors", "pth"] as const;

/** The command that asks for a network, for its error messages. */
export interface Asker {
  /** The recipe, e.g. "synth". */
  command: string;
  /** What to do instead, e.g. "pass --weights <file>". */
  instead?: string;
}

/**
 * The path of a network's file as we write it.
 *
 * @param dir the checkpoint folder (`checkpoints/<name>`)
 * @param which "latest" or an epoch
 * @param net "G", "D" or "E"
 * @returns `<dir>/<which>_net_<net>.safetensors`
 */
export function networkPath(dir: string, which: string, net: string): string {
  return join(dir, `${which}_net_${net}.safetensors`);
}

/**
 * The path of a network's file as the official code writes it.
 *
 * @param dir the run folder
 * @param which "latest" or an epoch
 * @param net "G", "D" or "E"
 * @returns `<dir>/<which>_net_<net>.pth`
 */
export function officialNetworkPath(dir: string, which: string, net: string): string {
  return join(dir, `${which}_net_${net}.pth`);
}

/**
 * The network a checkpoint file holds, read from its name.
 *
 * @param path a file path
 * @returns "G", "D", "E" (the letter after `_net_`), or null when the name does not follow the pattern
 */
export function networkOfPath(path: string): string | null {
  return /_net_([A-Z])\.(safetensors|pth|pt)$/.exec(basename(path))?.[1] ?? null;
}

/**
 * The path of a checkpoint's training-state file.
 *
 * @param dir the checkpoint folder
 * @param which "latest" or an epoch
 * @returns `<dir>/<which>_train_state.safetensors`
 */
export function trainStatePath(dir: string, which: string): string {
  return join(dir, `${which}_train_state.safetensors`);
}

/**
 * The file of one network of a checkpoint folder: ours first, then the official `.pth`.
 *
 * @param dir the checkpoint folder
 * @param which "latest" or an epoch
 * @param net "G", "D" or "E"
 * @returns the path that exists, or null
 */
export function findNetwork(dir: string, which: string, net: string): string | null {
  return FORMATS.map((ext) => join(dir, `${which}_net_${net}.${ext}`)).find((p) => existsSync(p)) ?? null;
}

/**
 * The checkpoints (`which`) of a folder that have a generator, in name order.
 *
 * @param names the file names in the folder
 * @returns e.g. `["10", "latest"]`
 */
export function checkpointsWithGenerator(names: readonly string[]): string[] {
  const whiches = names.map((n) => /^(.+)_net_G\.(safetensors|pth)$/.exec(n)?.[1]).filter((w) =>
    w !== undefined
  );
  return [...new Set(whiches)].sort();
}

/**
 * The weights file of one network of a run, the way the official `test.py` finds them.
 *
 * @param checkpointsDir e.g. "./checkpoints"
 * @param name the run's name
 * @param which "latest" or an epoch
 * @param net "G", "D" or "E"
 * @param asker the command that asks, for the message
 * @returns the path of the file that exists
 * @throws {OptionsError} naming the command's `--name`, the paths tried and what to do instead
 */
export function locateNetwork(
  checkpointsDir: string,
  name: string,
  which: string,
  net: string,
  asker: Asker,
): string {
  const dir = join(checkpointsDir, name);
  const found = findNetwork(dir, which, net);
  if (found) return found;
  const tried = FORMATS.map((ext) => join(dir, `${which}_net_${net}.${ext}`));
  throw new OptionsError(
    asker.command,
    "name",
    `finds no weights: neither ${
      tried.join(" nor ")
    } exists; train the run with \`deno task train --name ${name}\`, ` +
      `give --checkpoints_dir/--which_epoch${asker.instead ? `, or ${asker.instead}` : ""}`,
  );
}

/**
 * A network of the same checkpoint beside another one's file (e.g. the encoder beside the generator).
 *
 * @param file a file of the checkpoint, `<dir>/<which>_net_<X>.<ext>`
 * @param which "latest" or an epoch
 * @param net the wanted network
 * @param asker the command that asks, for the message
 * @returns the path of the file that exists (ours first, then the official .pth)
 * @throws {OptionsError} listing the paths tried when none exists
 */
export function locateBeside(file: string, which: string, net: NetworkLetter, asker: Asker): string {
  const found = findNetwork(dirname(file), which, net);
  if (found) return found;
  const tried = FORMATS.map((ext) => join(dirname(file), `${which}_net_${net}.${ext}`));
  throw new OptionsError(
    asker.command,
    net === "E" ? "encoder" : "weights",
    `finds no ${net === "E" ? "encoder" : `net ${net}`} weights: neither ${tried.join(" nor ")} exists${
      asker.instead ? `; ${asker.instead}` : ""
    }`,
  );
}
