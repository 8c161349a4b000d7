/**
 * Crash-safe file writes: the bytes go to a temporary file in the target's folder, are flushed to
 * disk, and only then renamed over the target. A reader sees the old file or the new one, never a
 * half-written one; if writing fails (disk full, …) the temporary file is removed and the old file is
 * left as it was.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { DataError } from "../kernel/errors.ts";

const TEMP_SUFFIX = ".tmp";

/** Writes all of `bytes` to an open file. */
export type FileWriter = (file: Deno.FsFile, bytes: Uint8Array) => Promise<void>;

/** The default {@link FileWriter}: `write` until every byte is out. */
async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

/**
 * Replaces (or creates) a file atomically: temp file in the same folder, fsync, rename, fsync of the
 * folder.
 *
 * @param path the file to write
 * @param bytes its new content
 * @param write how the bytes reach the temp file (tests inject a failing one); defaults to writing
 *   them all
 * @throws {DataError} naming `path` when the file cannot be written; the previous file, if any, is
 *   then unchanged and no temp file is left behind
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  write: FileWriter = writeAll,
): Promise<void> {
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}${TEMP_SUFFIX}`);
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temp, { write: true, createNew: true });
    await write(file, bytes);
    await file.sync();
    file.close();
    file = undefined;
    await Deno.rename(temp, path);
  } catch (cause) {
    file?.close();
    await Deno.remove(temp).catch(() => {});
    const reason = cause instanceof Deno.errors.NotFound
      ? `the folder ${folder} does not exist`
      : (cause as Error).message;
    throw new DataError(
      path,
      `cannot write the file (${reason}); the previous version, if any, is unchanged`,
    );
  }
  await syncFolder(folder);
}

/** Flushes a folder's entries (the rename) to disk where the platform allows opening folders. */
async function syncFolder(folder: string): Promise<void> {
  let dir: Deno.FsFile | undefined;
  try {
    dir = await Deno.open(folder, { read: true });
    await dir.sync();
  } catch {
    // Windows cannot open folders; the rename is still atomic there, only its durability is weaker.
  } finally {
    dir?.close();
  }
}

/**
 * Removes the temporary files a killed writer of `path` left behind (`.<name>.<8 hex>.tmp` beside
 * it), so a rerun of an interrupted batch job leaves no debris. Call it only while no other process
 * writes `path`.
 *
 * @param path the file whose leftovers to remove
 * @returns the temporary files removed
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const folder = dirname(path), prefix = `.${basename(path)}.`;
  const removed: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      const middle = entry.name.slice(prefix.length, -TEMP_SUFFIX.length);
      if (!entry.isFile || !entry.name.startsWith(prefix) || !entry.name.endsWith(TEMP_SUFFIX)) continue;
      if (!/^[0-9a-f]{8}$/.test(middle)) continue;
      await Deno.remove(join(folder, entry.name)).catch(() => {});
      removed.push(join(folder, entry.name));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return removed;
}
