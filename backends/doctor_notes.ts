/**
 * A note of the kernels we register on each backend, for `doctor` (a module of its own so the
 * registering modules do not depend on the doctor).
 *
 * @module
 */

const registered = new Map<string, Set<string>>();

/**
 * Records kernels we registered.
 *
 * @param backend the backend (or kernel set, e.g. "onednn") they are for
 * @param names kernel names
 */
export function noteKernels(backend: string, names: readonly string[]): void {
  const set = registered.get(backend) ?? new Set<string>();
  for (const n of names) set.add(n);
  registered.set(backend, set);
}

/** Our own kernels by backend, sorted (not the ones tfjs ships). */
export function ourKernels(): Record<string, string[]> {
  return Object.fromEntries([...registered].map(([k, v]) => [k, [...v].sort()]));
}
