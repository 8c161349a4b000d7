/**
 * Where a run's files are, the way the official `test.py` finds them: `<checkpoints_dir>/<name>/
 * <which_epoch>_net_G.{safetensors,pth}` (ours first, then the official PyTorch file).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { OptionsError } from "../../kernel/errors.ts";

/**
 * The weights file of one network of a run.
 *
 * @param checkpointsDir e.g. "./checkpoints"
 * @param name the run's name
 * @param whichEpoch "latest" or an epoch number
 * @param net "G", "D" or "E"
 * @returns the path of the file that exists
 * @throws {OptionsError} listing the paths tried when none exists
 */
export function locateNetwork(checkpointsDir: string, name: string, whichEpoch: string, net: string): string {
  const tried = ["safetensors", "pth"].map((ext) =>
    join(checkpointsDir, name, `${whichEpoch}_net_${net}.${ext}`)
  );
  const found = tried.find((p) => existsSync(p));
  if (!found) {
    throw new OptionsError(
      "synth",
      "name",
      `finds no weights: neither ${
        tried.join(" nor ")
      } exists; train the run with \`deno task train --name ${name}\`, give --checkpoints_dir/--which_epoch, or pass --weights <file>`,
    );
  }
  return found;
}

/**
 * A file of the same checkpoint beside another one (e.g. the encoder beside the generator).
 *
 * @param file a file of the checkpoint
 * @param stem the wanted file's name without extension (e.g. "latest_net_E")
 * @returns the path of the file that exists (ours first, then the official .pth)
 * @throws {OptionsError} listing the paths tried when none exists
 */
export function locateBeside(file: string, stem: string): string {
  const tried = ["safetensors", "pth"].map((ext) => join(dirname(file), `${stem}.${ext}`));
  const found = tried.find((p) => existsSync(p));
  if (!found) {
    throw new OptionsError(
      "synth",
      "encoder",
      `finds no encoder weights: neither ${tried.join(" nor ")} exists; pass --encoder <file>`,
    );
  }
  return found;
}
