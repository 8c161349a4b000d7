import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { assertClose } from "./_helpers.ts";

Deno.test("enableWasmThreads() runs the wasm backend on 2 threads with the same gradients as cpu", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", fileURLToPath(new URL("./_threads_child.ts", import.meta.url))],
    cwd: fileURLToPath(new URL("../../../", import.meta.url)),
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  const result = JSON.parse(lines[lines.length - 1]);
  assert.equal(result.enabled, true);
  assert.equal(result.threads, 2);
  result.cpu.forEach((g: number[], i: number) =>
    assertClose(Float32Array.from(result.wasm[i]), Float32Array.from(g), 1e-4, `gradient ${i}`)
  );
});
