/**
 * The peak resident set size of this process, as the kernel counts it (Linux's `VmHWM`), for the
 * benches' memory column.
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
