import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { BackendError } from "../../../kernel/errors.ts";
import { checkForwardFits, forwardHeapBytes } from "../../../plugins/inference/memory_check.ts";

/** The official 1024p generator (182 M parameters) on a Cityscapes map at 2048×1024. */
const OFFICIAL_1024P = { inputShape: [1, 1024, 2048, 36], fullResChannels: 32, weightBytes: 182e6 * 4 };

Deno.test("forwardHeapBytes() counts XNNPACK's packed filters on plain wasm only", () => {
  const live = 1e9;
  const wasm = forwardHeapBytes(OFFICIAL_1024P, "wasm", live);
  const onednn = forwardHeapBytes(OFFICIAL_1024P, "onednn", live);
  assert.ok(onednn > live && onednn < 3.4 * 2 ** 30, `oneDNN fits: ${onednn}`);
  assert.ok(wasm > 4 * 2 ** 30, `plain wasm does not: ${wasm}`);
});

Deno.test("checkForwardFits() stops the 1024p model at 2048×1024 on wasm with one line, and lets 1024×512 run", async () => {
  await tf.setBackend("wasm");
  assert.throws(
    () => checkForwardFits(OFFICIAL_1024P),
    (e: unknown) =>
      e instanceof BackendError && !e.message.includes("\n") &&
      /a 2048×1024 forward pass needs about \d+\.\d GiB of wasm heap, which holds 3\.4 GiB usable: use --backend onednn/
        .test(e.message),
  );
  checkForwardFits({ ...OFFICIAL_1024P, inputShape: [1, 512, 1024, 36] });
  await tf.setBackend("cpu");
  checkForwardFits(OFFICIAL_1024P); // no wasm heap to outgrow
});
