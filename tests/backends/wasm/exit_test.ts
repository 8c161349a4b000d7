import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./_exit_child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** How each way of ending must exit. */
const ENDINGS: Record<string, number> = { return: 0, exit: 3, early: 4, throw: 1, reject: 1 };

async function runChild(
  how: string,
  threads: string | null = "2",
): Promise<{ how: string; code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
  if (threads === null) delete env.P2PHD_WASM_THREADS;
  else env.P2PHD_WASM_THREADS = threads;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CHILD, how],
    cwd: ROOT,
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await child.output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { how, code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("threaded wasm processes exit with their own code however they end, 4 at a time, nothing aborts", async () => {
  const queue = [...Object.keys(ENDINGS), ...Object.keys(ENDINGS)];
  const results: Awaited<ReturnType<typeof runChild>>[] = [];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let how = queue.shift(); how !== undefined; how = queue.shift()) results.push(await runChild(how));
  }));
  for (const { how, code, stdout, stderr } of results) {
    assert.equal(code, ENDINGS[how], `${how}: exit ${code}\n${stderr}`);
    assert.doesNotMatch(
      stderr,
      /corrupted|abort|panic|segmentation|double free|free\(\)/i,
      `${how}: ${stderr}`,
    );
    const [, threads, workers] = stdout.match(/threads (\d+) workers (-?\d+)/) ?? [];
    assert.equal(threads, "2", `${how}: ${stdout}`);
    // only the pthread XNNPACK runs on is left: the idle pool workers ended before the work began
    if (workers !== "-1") assert.equal(workers, "1", `${how}: ${stdout}`);
    assert.match(stdout, /web-worker kept/, `${how}: globalThis.Worker must stay Deno's Web Worker`);
  }
});

Deno.test("plain wasm runs on two threads by default where there are two cores, with the same bits as one; P2PHD_WASM_THREADS=1 turns them off", async () => {
  const [byDefault, off] = await Promise.all([runChild("return", null), runChild("return", "1")]);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.equal(off.code, 0, off.stderr);
  const expected = navigator.hardwareConcurrency >= 2 ? "2" : "1";
  assert.match(byDefault.stdout, new RegExp(`threads ${expected} `), byDefault.stdout);
  assert.match(off.stdout, /threads 1 /, off.stdout);
  const bits = (stdout: string) => stdout.match(/bits (\d+)/)?.[1];
  assert.ok(bits(off.stdout), off.stdout);
  assert.equal(bits(byDefault.stdout), bits(off.stdout), "generator losses and gradients, bit for bit");
});
