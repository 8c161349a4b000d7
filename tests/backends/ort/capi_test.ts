import assert from "node:assert/strict";
import { loadOrt, openOrt } from "../../../backends/ort/mod.ts";
import { ortLibraryPath } from "../../../backends/ort/capi.ts";

const ORT = loadOrt();

Deno.test({
  name: "the ort backend runs after onnxruntime-node made onnxruntime's environment (no shared threads)",
  ignore: !ORT.ok,
  async fn() {
    const child = new URL("./_runtime_first.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", child],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    assert.deepEqual(result.relu, [0, 2]);
    // a 3×3 all-ones conv of ones over 2 channels, zero-padded: 8 at the corners, 12 on the edges
    assert.deepEqual(result.conv.slice(0, 4), [8, 8, 12, 12]);
  },
});

Deno.test("a package without a library for this platform is an error naming the folder looked in", () => {
  const entry = new URL("file:///nowhere/onnxruntime-node/dist/index.js").href;
  assert.throws(
    () => ortLibraryPath(entry),
    /ships no onnxruntime library for .* \(looked in \/nowhere\/onnxruntime-node\/bin\/napi-v6\//,
  );
});

Deno.test("where onnxruntime does not load, openOrt says why and how, and never throws", () => {
  const status = openOrt(() => new URL("file:///nowhere/onnxruntime-node/dist/index.js").href);
  assert.ok("reason" in status);
  assert.match(
    status.reason,
    /onnxruntime \(npm onnxruntime-node\) does not load on .*--allow-ffi/,
  );
});
