/**
 * Our side of one benchmark case, in a process of its own (so its peak RSS is the case's own):
 * selects the backend, runs the case and answers one JSON object on the last line of stdout. The
 * benches start it (bench/side_by_side.ts); progress goes to stderr.
 *
 * The backend `onnxruntime` runs a `nets` case on the onnxruntime runtime, with tfjs's wasm backend for
 * the input and the layout transposes.
 *
 * Run: `deno run -A bench/one_case.ts --kind nets|train --case NAME --backend NAME --reps N`
 * Answer: `{"ok": true, "seconds", "times", "firstSeconds", "peakRssBytes", "threads", "memoryGiB"?}`,
 * `{"ok": true, "skipped": "why", …}` or `{"ok": false, "error": "one line"}` (exit 1).
 *
 * @module
 */
import { selectBackend } from "../backends/select.ts";
import { createLogger } from "../kernel/log.ts";
import { loadOneDnn } from "../backends/onednn/mod.ts";
import { ORT_THREADS } from "../backends/ort/mod.ts";
import { wasmThreadCount } from "../backends/wasm/mod.ts";
import { type BenchKind, parseForwardCase, parseTrainCase } from "./cases.ts";
import { measureForward } from "./nets.ts";
import { measureTrain } from "./train.ts";
import { peakRssBytes } from "../kernel/peak_memory.ts";
import { intraOpThreads } from "../plugins/inference/runtime_options.ts";

function threadsOf(backend: string): number {
  if (backend === "onednn") {
    const status = loadOneDnn();
    return status.ok ? status.threads : 1;
  }
  if (backend === "wasm") return wasmThreadCount();
  if (backend === "ort") return ORT_THREADS;
  return 1;
}

/**
 * Runs one case of ours in this process.
 *
 * @param kind `nets` (a forward case) or `train`
 * @param name the case name (bench/cases.ts)
 * @param backend the backend to select
 * @param reps timed runs
 * @returns the answer (`ok: true` with the timing or the reason it was skipped)
 */
export async function runOneCase(
  kind: BenchKind,
  name: string,
  backend: string,
  reps: number,
): Promise<Record<string, unknown>> {
  const log = createLogger();
  if (backend === "onnxruntime") {
    if (kind !== "nets") throw new RangeError("onnxruntime runs inference only: bench nets, not bench train");
    await selectBackend("wasm");
    const threads = intraOpThreads({ intra_op_threads: null });
    const result = await measureForward(parseForwardCase(name), reps, log, {
      runtime: "onnxruntime",
      threads,
    });
    return { ok: true, ...result, peakRssBytes: peakRssBytes(), threads };
  }
  const chosen = await selectBackend(backend);
  const result = kind === "nets"
    ? await measureForward(parseForwardCase(name), reps, log)
    : await measureTrain(parseTrainCase(name), chosen.name, reps, log);
  return { ok: true, ...result, peakRssBytes: peakRssBytes(), threads: threadsOf(chosen.name) };
}

if (import.meta.main) {
  const value = (flag: string) => {
    const at = Deno.args.indexOf(flag);
    return at >= 0 ? Deno.args[at + 1] : undefined;
  };
  const [kind, name, backend, reps] = [value("--kind"), value("--case"), value("--backend"), value("--reps")];
  let answer: Record<string, unknown>;
  if ((kind !== "nets" && kind !== "train") || !name || !backend || !(Number(reps) >= 1)) {
    answer = { ok: false, error: "usage: one_case.ts --kind nets|train --case NAME --backend NAME --reps N" };
  } else {
    try {
      answer = await runOneCase(kind, name, backend, Number(reps));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      answer = { ok: false, error: message.split("\n")[0] };
    }
  }
  console.log(JSON.stringify(answer));
  Deno.exit(answer.ok ? 0 : 1);
}
