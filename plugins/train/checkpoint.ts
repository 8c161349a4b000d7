/**
 * Training checkpoints. A checkpoint `<which>` (e.g. `latest`, `10`) in `checkpoints/<name>/` is:
 *
 * - `<which>_net_G.safetensors`, `<which>_net_D.safetensors` (and `_net_E` with features): each
 *   network's state dict in PyTorch layout under the official parameter names, useful outside us;
 * - `<which>_train_state.safetensors`: what exact resumption needs (Adam moments, the image pool)
 *   with the run state (epoch, iteration, learning rate, RNG state) and the full config as metadata.
 *
 * Saving is two-phase: every file is written and synced under a temporary name first (where a full
 * disk fails), and only then renamed into place, so a failed save leaves the previous checkpoint
 * whole. All files of one save carry the same checkpoint id, which loading checks.
 *
 * @module
 */
import { decodeSafetensors, encodeSafetensors } from "../../formats/safetensors.ts";
import { loadPth } from "../../formats/pth.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import { findNetwork, networkPath, trainStatePath } from "../checkpoints/files.ts";

/** The format tag in every file's metadata. */
export const CHECKPOINT_FORMAT = "pix2pixhd-deno-checkpoint/1";

/** Everything a checkpoint holds. */
export interface Checkpoint {
  /** State dicts by network ("G", "D", "E"), PyTorch layout, official names. */
  networks: Map<string, Map<string, NdArray>>;
  /** Other tensors a resume needs (optimizer moments, pool contents), by name. */
  state: Map<string, NdArray>;
  /** The run's state: epoch, iteration, learning rate, RNG, … (JSON). */
  trainer: Record<string, unknown>;
  /** The run's full options (JSON). */
  config: Record<string, unknown>;
}

/** Writes a file durably; injectable so tests can simulate a full disk. */
export type FileWriter = (path: string, bytes: Uint8Array) => Promise<void>;

/**
 * Writes `bytes` to `path` and flushes them to the disk.
 *
 * @param path the file
 * @param bytes its contents
 */
export async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let done = 0;
    while (done < bytes.length) done += await file.write(bytes.subarray(done));
    await file.syncData();
  } finally {
    file.close();
  }
}

/**
 * Saves a checkpoint, replacing an older one of the same `which` only once every new file is on disk.
 *
 * @param dir the checkpoint folder (created if missing)
 * @param which "latest" or an epoch
 * @param checkpoint what to save
 * @param writer how to write a file (tests inject failures)
 * @throws {CheckpointError} when a file cannot be written; the previous checkpoint is left intact
 */
export async function saveCheckpoint(
  dir: string,
  which: string,
  checkpoint: Checkpoint,
  writer: FileWriter = writeDurably,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const id = crypto.randomUUID();
  const config = JSON.stringify(checkpoint.config);
  const base = { format: CHECKPOINT_FORMAT, checkpoint: id, which, config };
  const files: [string, Uint8Array][] = [];
  for (const [net, tensors] of [...checkpoint.networks].sort(([a], [b]) => a.localeCompare(b))) {
    files.push([networkPath(dir, which, net), encodeSafetensors(tensors, { ...base, network: net })]);
  }
  const trainer = JSON.stringify(checkpoint.trainer);
  const networks = [...checkpoint.networks.keys()].sort().join(",");
  files.push([
    trainStatePath(dir, which),
    encodeSafetensors(checkpoint.state, { ...base, trainer, networks }),
  ]);

  const staged: string[] = [];
  try {
    for (const [path, bytes] of files) {
      const temp = `${path}.${id}.tmp`;
      staged.push(temp);
      await writer(temp, bytes);
    }
  } catch (error) {
    for (const temp of staged) await Deno.remove(temp).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new CheckpointError(
      staged[staged.length - 1].replace(/\.[^.]+\.tmp$/, ""),
      `could not be written (${reason}); the previous "${which}" checkpoint is intact`,
    );
  }
  for (let i = 0; i < files.length; i++) await Deno.rename(staged[i], files[i][0]);
}

/**
 * Whether a checkpoint exists (its training-state file is there).
 *
 * @param dir the checkpoint folder
 * @param which "latest" or an epoch
 * @returns true when `<which>_train_state.safetensors` exists
 */
export async function hasCheckpoint(dir: string, which: string): Promise<boolean> {
  try {
    return (await Deno.stat(trainStatePath(dir, which))).isFile;
  } catch {
    return false;
  }
}

async function readFileOf(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new CheckpointError(path, `${what} does not exist`);
    throw new CheckpointError(path, `cannot be read: ${(error as Error).message}`);
  }
}

function parseJson(text: string | undefined, file: string, key: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? "");
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new CheckpointError(file, `its metadata "${key}" is missing or not a JSON object`);
}

/**
 * Loads a whole checkpoint saved by `saveCheckpoint`.
 *
 * @param dir the checkpoint folder
 * @param which "latest" or an epoch
 * @returns its networks, state, run state and config
 * @throws {CheckpointError} when a file is missing, unreadable, not ours, or from another save
 */
export async function loadCheckpoint(dir: string, which: string): Promise<Checkpoint> {
  const statePath = trainStatePath(dir, which);
  const decoded = decodeSafetensors(
    await readFileOf(
      statePath,
      `the training state of checkpoint "${which}" (run without --continue_train to start afresh)`,
    ),
    statePath,
  );
  const meta = decoded.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      statePath,
      `is not a training checkpoint of ours (format "${meta.format}", expected "${CHECKPOINT_FORMAT}")`,
    );
  }
  const networks = new Map<string, Map<string, NdArray>>();
  for (const net of (meta.networks ?? "").split(",").filter(Boolean)) {
    const path = networkPath(dir, which, net);
    const file = decodeSafetensors(await readFileOf(path, `network ${net} of checkpoint "${which}"`), path);
    if (file.metadata.checkpoint !== meta.checkpoint) {
      throw new CheckpointError(
        path,
        `belongs to another save (id ${file.metadata.checkpoint}) than ${statePath} (id ${meta.checkpoint}): the save was interrupted; load an epoch checkpoint with --which_epoch`,
      );
    }
    networks.set(net, file.tensors);
  }
  return {
    networks,
    state: decoded.tensors,
    trainer: parseJson(meta.trainer, statePath, "trainer"),
    config: parseJson(meta.config, statePath, "config"),
  };
}

/**
 * Reads a checkpoint's run state and config without loading its tensors (only the safetensors header
 * of the training-state file).
 *
 * @param dir the checkpoint folder
 * @param which "latest" or an epoch
 * @returns the run state (epoch, iteration, …) and config, or null when there is no such checkpoint
 * @throws {CheckpointError} when the file is not a checkpoint of ours
 */
export async function readCheckpointInfo(
  dir: string,
  which: string,
): Promise<{ trainer: Record<string, unknown>; config: Record<string, unknown> } | null> {
  const path = trainStatePath(dir, which);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return null;
  }
  try {
    const head = new Uint8Array(8);
    const got = await file.read(head);
    const length = got === 8 ? Number(new DataView(head.buffer).getBigUint64(0, true)) : -1;
    const header = new Uint8Array(Math.max(0, Math.min(length, 100_000_000)));
    let done = 0;
    while (done < header.length) {
      const n = await file.read(header.subarray(done));
      if (n === null) break;
      done += n;
    }
    let meta: Record<string, string> = {};
    try {
      meta = JSON.parse(new TextDecoder().decode(header.subarray(0, done))).__metadata__ ?? {};
    } catch {
      // reported below
    }
    if (meta.format !== CHECKPOINT_FORMAT) {
      throw new CheckpointError(
        path,
        `is not a training checkpoint of ours (no "${CHECKPOINT_FORMAT}" header)`,
      );
    }
    return {
      trainer: parseJson(meta.trainer, path, "trainer"),
      config: parseJson(meta.config, path, "config"),
    };
  } finally {
    file.close();
  }
}

/**
 * Loads one network's weights from a checkpoint folder: ours (`<which>_net_<net>.safetensors`) or the
 * official code's (`<which>_net_<net>.pth`).
 *
 * @param dir a checkpoint folder
 * @param which "latest" or an epoch
 * @param net "G", "D" or "E"
 * @returns the state dict (PyTorch layout) and the file it came from
 * @throws {CheckpointError} when neither file exists or the file cannot be read
 */
export async function loadNetworkWeights(
  dir: string,
  which: string,
  net: string,
): Promise<{ tensors: Map<string, NdArray>; file: string }> {
  const file = findNetwork(dir, which, net);
  if (file === null) {
    throw new CheckpointError(dir, `has no ${which}_net_${net}.safetensors or ${which}_net_${net}.pth`);
  }
  if (file.endsWith(".pth")) return { tensors: await loadPth(file), file };
  return { tensors: decodeSafetensors(await Deno.readFile(file), file).tensors, file };
}
