import assert from "node:assert/strict";

async function doctor(...args: string[]) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../scripts/doctor.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout } = await cmd.output();
  return { code, text: new TextDecoder().decode(stdout) };
}

Deno.test("doctor --json reports versions, backends, our kernels and a passing check on wasm", async () => {
  const { code, text } = await doctor("--backend", "wasm", "--json");
  const report = JSON.parse(text);
  assert.equal(report.tfjs, "4.22.0");
  assert.deepEqual(report.backends.map((b: { name: string }) => b.name), [
    "tensorflow",
    "onednn",
    "webgpu",
    "ort",
    "wasm",
    "cpu",
  ]);
  assert.equal(report.backends.find((b: { name: string }) => b.name === "tensorflow").loads, false);
  assert.ok(report.registeredKernels.wasm.includes("Conv2DBackpropFilter"));
  assert.equal(report.chosen.name, "wasm");
  const threads = Deno.env.get("P2PHD_WASM_THREADS") ?? (navigator.hardwareConcurrency >= 2 ? "2" : "1");
  assert.equal(report.wasmThreads, Number(threads));
  assert.ok(report.check.ok, report.check.detail);
  assert.equal(code, 0);
});

Deno.test("doctor checks the ort backend (onnxruntime's convolutions) against cpu where it loads", async () => {
  const { code, text } = await doctor("--backend", "ort", "--json");
  const report = JSON.parse(text);
  const ort = report.backends.find((b: { name: string }) => b.name === "ort");
  assert.equal(ort.loads, true, ort.detail);
  assert.match(ort.detail, /onnxruntime .* convolutions and Adam on the wasm backend/);
  assert.equal(report.chosen.name, "ort");
  assert.ok(report.registeredKernels.ort.includes("Conv2DBackpropFilter"));
  assert.ok(report.check.ok, report.check.detail);
  assert.equal(code, 0);
});

Deno.test("doctor prints a readable report on cpu", async () => {
  const { code, text } = await doctor("--backend", "cpu");
  assert.equal(code, 0);
  assert.match(text, /TensorFlow\.js 4\.22\.0/);
  assert.match(text, /Check on cpu: ok/);
  assert.match(text, /Plain wasm threads: \d/);
});
