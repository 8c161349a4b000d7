import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs `bench/one_case.ts args…` as the benches do; returns its exit code and its last stdout line. */
async function oneCase(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; answer: Record<string, unknown> }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/one_case.ts", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { code: out.code, answer: JSON.parse(lines.at(-1)!) };
}

Deno.test("a training case answers its timing, memory estimate, peak RSS and threads as one JSON line", async () => {
  // one thread asked for, so the answer is known whatever the machine's default
  const { code, answer } = await oneCase([
    "--kind",
    "train",
    "--case",
    "ngf2-32x32",
    "--backend",
    "wasm",
    "--reps",
    "1",
  ], { P2PHD_WASM_THREADS: "1" });
  assert.equal(code, 0, JSON.stringify(answer));
  assert.equal(answer.ok, true);
  assert.equal((answer.times as number[]).length, 1);
  assert.ok((answer.seconds as number) > 0 && (answer.firstSeconds as number) > 0);
  assert.ok((answer.memoryGiB as number) > 0);
  assert.ok((answer.peakRssBytes as number) > 50 * 2 ** 20);
  assert.equal(answer.threads, 1);
});

Deno.test("a bad case or missing flag answers ok: false with one line and exits 1", async () => {
  const bad = await oneCase(["--kind", "nets", "--case", "local-40x40", "--backend", "cpu", "--reps", "1"]);
  assert.equal(bad.code, 1);
  assert.deepEqual(bad.answer, {
    ok: false,
    error: 'case "local-40x40": 40×40 must be positive multiples of 32',
  });
  const usage = await oneCase(["--kind", "nets", "--case", "global-256x128"]);
  assert.equal(usage.code, 1);
  assert.match(String(usage.answer.error), /^usage: one_case\.ts --kind nets\|train/);
});

Deno.test("the onnxruntime backend times a nets case on the onnxruntime runtime and refuses a training case", async () => {
  const { code, answer } = await oneCase(
    ["--kind", "nets", "--case", "global-ngf2-64x32", "--backend", "onnxruntime", "--reps", "1"],
  );
  assert.equal(code, 0, JSON.stringify(answer));
  assert.equal(answer.ok, true);
  assert.equal((answer.times as number[]).length, 1);
  assert.ok((answer.seconds as number) > 0);
  assert.equal(answer.threads, navigator.hardwareConcurrency);
  const train = await oneCase([
    "--kind",
    "train",
    "--case",
    "ngf2-32x32",
    "--backend",
    "onnxruntime",
    "--reps",
    "1",
  ]);
  assert.equal(train.code, 1);
  assert.deepEqual(train.answer, {
    ok: false,
    error: "onnxruntime runs inference only: bench nets, not bench train",
  });
});
