/**
 * How much memory a run took at its peak: the process's peak resident set (Linux's `VmHWM`), which
 * includes the wasm heap and native buffers, for `synth`'s summary line and the benches' memory column.
 *
 * @module
 */

/**
 * Reads this process's peak resident set size.
 *
 * @param status the text of `/proc/self/status` (read when not given)
 * @returns bytes, or null where there is no `/proc/self/status` (macOS, Windows) or no `VmHWM` line
 */
export function peakRssBytes(status?: string): number | null {
  let text = status;
  if (text === undefined) {
    try {
      text = Deno.readTextFileSync("/proc/self/status");
    } catch {
      return null;
    }
  }
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * The peak memory as one phrase, e.g. `peak memory 3.41 GiB`, or `peak memory unknown here`.
 *
 * @param bytes the peak resident set, as {@link peakRssBytes} gives it
 * @returns the phrase
 */
export function peakMemoryPhrase(bytes: number | null = peakRssBytes()): string {
  return bytes === null ? "peak memory unknown here" : `peak memory ${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
