/**
 * How oneDNN's OpenMP threads wait between parallel regions, chosen once, before libgomp loads (it reads
 * its environment then).
 *
 * - **Spin, then sleep** when the machine is idle: a sleeping worker thread takes 0.1–0.2 ms to wake on a
 *   virtual machine, and a training step starts about a thousand parallel regions. With
 *   `GOMP_SPINCOUNT=100000` (about 2 ms) one ngf-32 step at 256×128 went from 0.91 to 0.78 s, and 24
 *   iterations of `deno task train` with its data loading from 32.5 to 25.4 s. PyTorch runs on libgomp's
 *   default, 300 000.
 * - **Sleep** (`OMP_WAIT_POLICY=passive`) when other processes keep the CPUs busy: spinning workers then
 *   take the core a descheduled sibling needs, and the same step took 2.5–4.6 s against 1.4 s sleeping.
 * - **As the environment says** when `OMP_WAIT_POLICY` or `GOMP_SPINCOUNT` is set (or cannot be read).
 *
 * @module
 */

/** libgomp's spin count when the machine is idle: about 2 ms of polling before a worker sleeps. */
export const SPIN_COUNT = 100_000;
/** The share of all CPUs that other processes may use while sampled for the threads to still spin. */
export const BUSY_SHARE = 0.25;
/** How long the CPUs are watched before deciding. */
export const SAMPLE_MS = 60;

/** How the threads wait, and why. */
export interface WaitPolicy {
  /** `spin` (then sleep), `sleep`, or `environment` (what the user set, or libgomp's default). */
  kind: "spin" | "sleep" | "environment";
  /** One line for `doctor` and the benches. */
  text: string;
}

/** CPU time counters: all CPUs' total and idle ticks, and this process's own. */
export interface CpuTicks {
  total: number;
  idle: number;
  self: number;
}

/**
 * Reads the counters from `/proc/stat`'s `cpu` line and `/proc/self/stat`'s utime and stime.
 *
 * @param procStat the text of `/proc/stat`
 * @param selfStat the text of `/proc/self/stat`
 * @returns the counters, or null when either text is not what Linux writes
 */
export function parseCpuTicks(procStat: string, selfStat: string): CpuTicks | null {
  const cpu = procStat.split("\n").find((line) => line.startsWith("cpu "));
  // the command name may hold spaces: fields are counted after its closing parenthesis
  const afterName = selfStat.slice(selfStat.lastIndexOf(")") + 2).split(" ");
  if (!cpu || afterName.length < 13) return null;
  const fields = cpu.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 5 || fields.some((f) => !Number.isFinite(f))) return null;
  const [user, nice, system, idle, iowait, irq = 0, softirq = 0, steal = 0] = fields;
  const self = Number(afterName[11]) + Number(afterName[12]); // utime, stime (fields 14 and 15)
  if (!Number.isFinite(self)) return null;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, self };
}

/**
 * The share of all CPUs' time that processes other than this one used between two readings.
 *
 * @param before the first reading
 * @param after the later one
 * @returns 0 to 1 (0 when no time passed)
 */
export function othersBusyShare(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  const busy = total - (after.idle - before.idle) - (after.self - before.self);
  return Math.min(1, Math.max(0, busy / total));
}

/** Reads the counters of this machine now, or null off Linux or without read access to /proc. */
function readCpuTicks(): CpuTicks | null {
  try {
    return parseCpuTicks(Deno.readTextFileSync("/proc/stat"), Deno.readTextFileSync("/proc/self/stat"));
  } catch {
    return null;
  }
}

/**
 * Watches the CPUs for {@link SAMPLE_MS} (this thread blocks meanwhile).
 *
 * @returns the share other processes used, or null when it cannot be read here
 */
export function sampleOthersBusyShare(): number | null {
  const before = readCpuTicks();
  if (!before) return null;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SAMPLE_MS);
  const after = readCpuTicks();
  return after ? othersBusyShare(before, after) : null;
}

/**
 * Chooses the policy and sets the environment libgomp will read.
 *
 * @param env the process environment (`Deno.env`)
 * @param sample how busy other processes keep the CPUs (0–1), or null when unknown
 * @returns the policy
 */
export function chooseWaitPolicy(
  env: Pick<typeof Deno.env, "get" | "set">,
  sample: () => number | null = sampleOthersBusyShare,
): WaitPolicy {
  const policy = env.get("OMP_WAIT_POLICY"), spins = env.get("GOMP_SPINCOUNT");
  if (policy !== undefined || spins !== undefined) {
    const set = [
      policy !== undefined && `OMP_WAIT_POLICY=${policy}`,
      spins !== undefined && `GOMP_SPINCOUNT=${spins}`,
    ];
    return { kind: "environment", text: `waiting as ${set.filter(Boolean).join(", ")} says` };
  }
  const busy = sample();
  if (busy !== null && busy < BUSY_SHARE) {
    env.set("GOMP_SPINCOUNT", String(SPIN_COUNT));
    return {
      kind: "spin",
      text: `spinning between calls: other processes used ${pct(busy)} of the CPUs`,
    };
  }
  env.set("OMP_WAIT_POLICY", "passive");
  const why = busy === null ? "CPU load unknown here" : `other processes used ${pct(busy)} of the CPUs`;
  return { kind: "sleep", text: `sleeping between calls: ${why}` };
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}
