/**
 * The text files the official train.py leaves in `checkpoints/<name>/`, byte for byte in its formats,
 * beside our `loss_log.jsonl` and checkpoints, each written atomically:
 *
 * - `loss_log.txt` (util/visualizer.py): a `================ Training Loss (<time.strftime("%c")>) ================`
 *   line at every start, then `(epoch: %d, iters: %d, time: %.3f) G_GAN: %.3f …` every `print_freq`;
 * - `opt.txt` (options/base_options.py): `k: str(v)` per option, sorted, between `------------ Options
 *   -------------` and `-------------- End ----------------`; written when a run starts, not on
 *   `--continue_train`, as the official code;
 * - `iter.txt` (train.py's `np.savetxt(iter_path, (epoch, epoch_iter), delimiter=',', fmt='%d')`):
 *   the epoch and the samples done in it, one per line, written with every `latest` checkpoint; read
 *   back by `--continue_train`, also from an official run's folder.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../formats/atomic.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import { lossEnabled, LOSSES, type Losses } from "../losses/catalog.ts";
import { type TrainOptions, trainSchema } from "./options.ts";

/** Where the official text files of a run go. */
export function officialLogPaths(dir: string): { lossLog: string; options: string; iter: string } {
  return { lossLog: join(dir, "loss_log.txt"), options: join(dir, "opt.txt"), iter: join(dir, "iter.txt") };
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Python's `time.strftime("%c")` in the C locale, local time: `Wed Dec  2 08:47:59 2026`.
 *
 * @param date the moment
 * @returns the text
 */
export function cTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, " ")} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${date.getFullYear()}`;
}

/**
 * Python's `"%.3f" % x`: rounded on the exact binary value, exact ties to even (JavaScript's
 * `toFixed` sends them up).
 *
 * @param x a finite number
 * @param digits decimals
 * @returns the text
 */
export function pyFixed(x: number, digits = 3): string {
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf(".");
  const rest = exact.slice(point + 1 + digits);
  const tie = rest[0] === "5" && /^0*$/.test(rest.slice(1));
  if (!tie) return x.toFixed(digits);
  const kept = exact.slice(0, point + 1 + digits);
  const last = Number(kept[kept.length - 1]);
  const down = last % 2 === 0;
  const magnitude = down ? Number(kept) : Number(kept) + 10 ** -digits;
  return (x < 0 && magnitude !== 0 ? "-" : "") + magnitude.toFixed(digits);
}

/**
 * Python's `str(float)`: the shortest round-trip digits, `1e-05` / `1e+16` style outside [1e-4, 1e16),
 * `10.0` for whole numbers.
 *
 * @param x a number
 * @returns the text
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = x.toExponential().split("e");
    const e = Number(exponent);
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  const text = String(x);
  return Number.isInteger(x) ? `${text}.0` : text;
}

/**
 * Python's `str(v)` of an option's value, as options/base_options.py writes it.
 *
 * @param key the option (its schema type tells a float from an int)
 * @param value its value
 * @returns the text
 */
function pyStr(key: string, value: unknown): string {
  if (value === null && key === "max_dataset_size") return "inf"; // the official default, float("inf")
  if (key === "gpu_ids" && typeof value === "string") {
    // base_options.py keeps the ids ≥ 0 of the comma-separated list: "-1" → [], "0,1" → [0, 1]
    return `[${value.split(",").map(Number).filter((id) => id >= 0).join(", ")}]`;
  }
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    const type = (trainSchema as Record<string, { type: string }>)[key]?.type;
    return type === "number" ? pyFloat(value) : String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => pyStr("", v)).join(", ")}]`;
  return String(value);
}

/**
 * The official `opt.txt`.
 *
 * @param opts the run's options
 * @returns the file's text
 */
export function optionsText(opts: TrainOptions): string {
  const lines = Object.keys(opts).sort().map((key) =>
    `${key}: ${pyStr(key, (opts as Record<string, unknown>)[key])}`
  );
  return ["------------ Options -------------", ...lines, "-------------- End ----------------", ""].join(
    "\n",
  );
}

/**
 * Reads an `opt.txt` (ours or the official one).
 *
 * @param path the file
 * @returns option → value as written (Python's `str`), or null when there is no such file
 */
export async function readOptionsFile(path: string): Promise<Map<string, string> | null> {
  const text = await readTextIfAny(path);
  if (text === null) return null;
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf(": ");
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 2));
  }
  return out;
}

/**
 * The options whose value differs between an `opt.txt` and options of ours, as `opt.txt` writes them.
 *
 * @param written the file's options (`readOptionsFile`)
 * @param opts our options
 * @param keys the options to compare
 * @returns `[key, value in the file, our value]` for each difference
 */
export function optionDifferences(
  written: Map<string, string>,
  opts: TrainOptions,
  keys: readonly string[],
): [string, string, string][] {
  const ours = new Map(
    optionsText(opts).split("\n").filter((l) => l.includes(": ")).map((l) => {
      const at = l.indexOf(": ");
      return [l.slice(0, at), l.slice(at + 2)] as const;
    }),
  );
  return keys.filter((k) => written.has(k) && ours.has(k) && written.get(k) !== ours.get(k))
    .map((k) => [k, written.get(k)!, ours.get(k)!]);
}

/**
 * The header line the official Visualizer appends to `loss_log.txt` when a run starts.
 *
 * @param date the start
 * @returns the line, with its newline
 */
export function lossLogHeader(date: Date): string {
  return `================ Training Loss (${cTime(date)}) ================\n`;
}

/**
 * One official `print_current_errors` line: the losses the model reports (G_GAN_Feat only with the
 * feature-matching loss, G_VGG only with the VGG loss), each only when not 0.
 *
 * @param step the epoch, the samples done in it and the seconds per sample
 * @param losses the losses
 * @param opts no_ganFeat_loss and no_vgg_loss
 * @returns the line, with its newline
 */
export function lossLogLine(
  step: { epoch: number; epochIter: number; time: number },
  losses: Losses,
  opts: Pick<TrainOptions, "no_ganFeat_loss" | "no_vgg_loss">,
): string {
  const reported = LOSSES.filter((l) => lossEnabled(l, opts)).map((l) => l.name);
  let message = `(epoch: ${step.epoch}, iters: ${step.epochIter}, time: ${pyFixed(step.time)}) `;
  for (const k of reported) if (losses[k] !== 0) message += `${k}: ${pyFixed(losses[k])} `;
  return message + "\n";
}

async function readTextIfAny(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Appends text to a file by replacing it atomically with its old text plus the new (a reader never
 * sees half a line; a failed write leaves the old file).
 *
 * @param path the file (created if missing)
 * @param text what to add
 * @throws {DataError} naming the file when it cannot be written
 */
export async function appendAtomically(path: string, text: string): Promise<void> {
  const old = (await readTextIfAny(path)) ?? "";
  await writeFileAtomic(path, new TextEncoder().encode(old + text));
}

/**
 * Writes `opt.txt` atomically.
 *
 * @param path the file
 * @param opts the run's options
 */
export async function writeOptionsFile(path: string, opts: TrainOptions): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(optionsText(opts)));
}

/**
 * Writes `iter.txt` atomically, as numpy's savetxt of `(epoch, epoch_iter)` with `%d`.
 *
 * @param path the file
 * @param epoch the epoch a continued run starts in
 * @param epochIter the samples of it already done
 */
export async function writeIterFile(path: string, epoch: number, epochIter: number): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(`${epoch}\n${epochIter}\n`));
}

/**
 * Reads `iter.txt` (numpy's `loadtxt(delimiter=',', dtype=int)` of it: two integers, on two lines
 * or one line split by a comma).
 *
 * @param path the file
 * @returns the epoch and the samples done in it, or null when the file does not exist
 * @throws {CheckpointError} when it is not two whole numbers (epoch ≥ 1, iteration ≥ 0)
 */
export async function readIterFile(path: string): Promise<{ epoch: number; epochIter: number } | null> {
  const text = await readTextIfAny(path);
  if (text === null) return null;
  const fields = text.split(/[\s,]+/).filter(Boolean);
  const [epoch, epochIter] = fields.map(Number);
  if (
    fields.length !== 2 || !Number.isInteger(epoch) || !Number.isInteger(epochIter) || epoch < 1 ||
    epochIter < 0
  ) {
    throw new CheckpointError(
      path,
      `is not the official iter.txt (two whole numbers, the epoch ≥ 1 and the iteration ≥ 0): ${
        JSON.stringify(text.slice(0, 40))
      }`,
    );
  }
  return { epoch, epochIter };
}
