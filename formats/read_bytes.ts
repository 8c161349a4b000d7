/**
 * Reading a whole file with a one-line error that names it.
 *
 * @module
 */

/**
 * Reads a file into memory.
 *
 * @param path file path
 * @param error builds the error to throw from a message (the caller picks DataError/CheckpointError)
 * @returns the file's bytes
 * @throws the error `error` builds when the file is missing, is a folder, or cannot be read
 */
export async function readBytes(path: string, error: (message: string) => Error): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) throw error("file not found");
    if (cause instanceof Deno.errors.IsADirectory) throw error("is a folder, not a file");
    throw error(`cannot read the file (${(cause as Error).message})`);
  }
}
