/**
 * Logging and progress. Messages go to stderr so that `--json` output on stdout stays clean; colours
 * only on a TTY; progress bars (cli-progress) only on a TTY, a line per 10 % otherwise.
 *
 * @module
 */
import cliProgress from "cli-progress";
import pc from "picocolors";

/** Log levels, quietest last. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const ORDER: LogLevel[] = ["debug", "info", "warn", "error", "silent"];

/** Where messages go. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A progress reporter for a job of `total` steps. */
  progress(label: string, total: number): Progress;
}

/** A running progress report. */
export interface Progress {
  /** Advance by `step` (default 1) and show these values (losses, …) beside the bar. */
  tick(values?: Record<string, number | string>, step?: number): void;
  /** Stop and leave the final line. */
  stop(): void;
}

function isTTY(): boolean {
  try {
    return Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR") && Deno.env.get("CI") !== "true";
  } catch {
    return false;
  }
}

function formatValues(values: Record<string, number | string>): string {
  return Object.entries(values).map(([k, v]) => `${k} ${typeof v === "number" ? v.toFixed(3) : v}`)
    .join("  ");
}

/** Formats seconds as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? h + ":" : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/**
 * A logger writing to stderr.
 *
 * @param level the quietest level shown (env `P2PHD_LOG` overrides the default "info")
 */
export function createLogger(level: LogLevel = (Deno.env.get("P2PHD_LOG") as LogLevel) ?? "info"): Logger {
  const tty = isTTY();
  const enc = new TextEncoder();
  const write = (text: string) => Deno.stderr.writeSync(enc.encode(text + "\n"));
  const on = (l: LogLevel) => ORDER.indexOf(l) >= ORDER.indexOf(level);
  return {
    debug: (m) => on("debug") && write(tty ? pc.dim(m) : m),
    info: (m) => on("info") && write(m),
    warn: (m) => on("warn") && write(tty ? pc.yellow(`warning: ${m}`) : `warning: ${m}`),
    error: (m) => on("error") && write(tty ? pc.red(`error: ${m}`) : `error: ${m}`),
    progress(label, total) {
      const start = performance.now();
      let done = 0;
      if (!on("info")) return { tick: () => {}, stop: () => {} };
      if (tty) {
        const bar = new cliProgress.SingleBar({
          format: `${label} {bar} {value}/{total} | {percentage}% | ETA {eta_formatted} | {values}`,
          stream: process.stderr,
          hideCursor: true,
        }, cliProgress.Presets.shades_classic);
        bar.start(total, 0, { values: "" });
        return {
          tick(values = {}, step = 1) {
            done += step;
            bar.update(done, { values: formatValues(values) });
          },
          stop: () => bar.stop(),
        };
      }
      let lastTenth = -1;
      return {
        tick(values = {}, step = 1) {
          done += step;
          const tenth = Math.floor((10 * done) / Math.max(1, total));
          if (tenth === lastTenth && done !== total) return;
          lastTenth = tenth;
          const elapsed = (performance.now() - start) / 1000;
          const eta = done ? (elapsed / done) * (total - done) : Infinity;
          write(
            `${label} ${done}/${total} (${Math.round((100 * done) / total)}%) ETA ${formatDuration(eta)} ${
              formatValues(values)
            }`.trimEnd(),
          );
        },
        stop() {},
      };
    },
  };
}

/** The default logger. */
export const log: Logger = createLogger();
