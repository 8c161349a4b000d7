import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { loadTfjsNode, requestedBackend, selectBackend } from "../../backends/select.ts";
import { BackendError } from "../../kernel/errors.ts";

Deno.test("loadTfjsNode() says how to install tfjs-node-gpu when it is not installed", async () => {
  await assert.rejects(loadTfjsNode("@tensorflow/tfjs-node-gpu"), (e: Error) => {
    assert.ok(e instanceof BackendError);
    assert.match(
      e.message,
      /@tensorflow\/tfjs-node-gpu is not installed: it needs CUDA .* cuDNN .*--allow-scripts=npm:@tensorflow\/tfjs-node-gpu/,
    );
    return true;
  });
  await assert.rejects(
    loadTfjsNode("@tensorflow/tfjs-node"),
    /tfjs-node is not installed: .*--allow-scripts=npm:@tensorflow\/tfjs-node/,
  );
});

Deno.test("selectBackend('tensorflow') fails with the install hint; auto falls back and says why", async () => {
  await assert.rejects(selectBackend("tensorflow"), /tfjs-node-gpu is not installed/);
  const choice = await selectBackend("auto");
  assert.ok(["onednn", "wasm", "webgpu"].includes(choice.name), choice.name);
  assert.match(
    choice.reason,
    /^auto: .*@tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed/,
  );
  if (choice.name === "wasm") assert.equal(tf.getBackend(), "wasm");
});

Deno.test("selectBackend() makes wasm and cpu active on request", async () => {
  assert.deepEqual(await selectBackend("cpu"), { name: "cpu", reason: "asked for" });
  assert.equal(tf.getBackend(), "cpu");
  assert.equal((await selectBackend("wasm")).name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("an unknown backend name lists the valid ones", () => {
  assert.throws(
    () => requestedBackend("cuda"),
    /Cannot use backend "cuda": unknown backend; choose one of auto, tensorflow, onednn, webgpu, ort, wasm, cpu/,
  );
});

Deno.test("probing WebGPU prints no XDG_RUNTIME_DIR error, still finds the adapter, and leaves no folder behind", async () => {
  const probe = `import { probeWebGpu } from ${
    JSON.stringify(new URL("../../backends/select.ts", import.meta.url).href)
  };
const first = await probeWebGpu();
const second = await probeWebGpu();
console.log(JSON.stringify({ first, second, dir: Deno.env.get("XDG_RUNTIME_DIR") }));`;
  const env = { ...Deno.env.toObject() };
  delete env.XDG_RUNTIME_DIR;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", probe],
    env,
    clearEnv: true,
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.doesNotMatch(stderr, /XDG_RUNTIME_DIR/);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(result.first, result.second);
  const gpu = (navigator as { gpu?: unknown }).gpu;
  if (gpu) assert.ok(result.first.ok || /adapter|requestAdapter/.test(result.first.description));
  if (result.dir) assert.throws(() => Deno.statSync(result.dir), Deno.errors.NotFound);
});
