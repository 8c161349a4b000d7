/**
 * Runs a benchmark case in a process of its own (so its time and peak memory are its own) and reads
 * the one JSON object it answers on the last line of stdout. Its stderr (progress) passes through to
 * ours as it comes.
 *
 * @module
 */

/** What a case process did. */
export interface JsonProcessResult {
  /** Its exit code. */
  code: number;
  /** The JSON object on its last stdout line (or its whole stdout), or null when there is none. */
  answer: Record<string, unknown> | null;
  /** The last lines of its stderr (for a crash's message). */
  stderrTail: string;
}

const TAIL_CHARS = 2000;

async function passThrough(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of stream) {
    await Deno.stderr.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-TAIL_CHARS);
  }
  return tail;
}

function jsonObject(text: string): Record<string, unknown> | null {
  if (!text.startsWith("{")) return null;
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** The JSON object on stdout's last line (the peers' protocol), or stdout as a whole (a recipe's `--json`). */
function lastJsonAnswer(text: string): Record<string, unknown> | null {
  const whole = text.trim();
  return jsonObject(whole.split("\n").at(-1)?.trim() ?? "") ?? jsonObject(whole);
}

/**
 * Runs `program args…` and waits for it.
 *
 * @param program the executable (a path or a name on PATH)
 * @param args its arguments
 * @param cwd its working directory
 * @returns its exit code, its answer and the tail of its stderr
 * @throws {Deno.errors.NotFound} when `program` does not exist
 */
export async function runJsonProcess(
  program: string,
  args: string[],
  cwd: string,
): Promise<JsonProcessResult> {
  const child = new Deno.Command(program, { args, cwd, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const [stdout, stderrTail, status] = await Promise.all([
    new Response(child.stdout).text(),
    passThrough(child.stderr),
    child.status,
  ]);
  return { code: status.code, answer: lastJsonAnswer(stdout), stderrTail };
}

/**
 * One line saying why a case process gave no answer: its last stderr line and its exit code.
 *
 * @param what the process, in words (`ours`, `PyTorch`)
 * @param result what it did
 */
export function failureLine(what: string, result: JsonProcessResult): string {
  if (result.answer && typeof result.answer.error === "string") return result.answer.error;
  const last = result.stderrTail.trimEnd().split("\n").filter((l) => l.trim()).at(-1)?.trim();
  const how = result.code === 0 ? "gave no JSON answer" : `exited with code ${result.code}`;
  return `${what} ${how}${last ? `: ${last}` : ""}`;
}
