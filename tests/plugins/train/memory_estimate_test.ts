import assert from "node:assert/strict";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import {
  estimateTrainingMemory,
  formatMemoryEstimate,
  VGG19_PARAMS,
} from "../../../plugins/train/memory_estimate.ts";
import { loadOneDnn } from "../../../backends/onednn/mod.ts";
import { loadOrt } from "../../../backends/ort/mod.ts";

/** Trains three iterations in a fresh process (a wasm heap never shrinks) and reads the heap size. */
async function probe(backend: string, ngf: number, width: number, height: number) {
  const probeFile = new URL("./_heap_probe.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probeFile, backend, String(ngf), String(width), String(height)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(text) as { startHeap: number; heap: number; estimate: number };
}

for (const [backend, ngf] of [["wasm", 16], ["onednn", 32], ["ort", 32]] as const) {
  Deno.test({
    name:
      `estimateTrainingMemory() bounds the wasm heap of training iterations from above, within 2× (${backend}, ngf ${ngf}, 256×128)`,
    ignore: (backend === "onednn" && !loadOneDnn().ok) || (backend === "ort" && !loadOrt().ok),
    fn: async () => {
      const { heap, estimate } = await probe(backend, ngf, 256, 128);
      const ratio = estimate / heap;
      assert.ok(ratio >= 0.95 && ratio <= 2, `estimate ${estimate} B, heap ${heap} B (×${ratio.toFixed(2)})`);
    },
  });
}

Deno.test("estimateTrainingMemory() counts the frozen VGG19 (13 M weights) and prints GiB by part", () => {
  assert.equal(VGG19_PARAMS, 10585152 + 2359808);
  const m = estimateTrainingMemory(resolveTrainOptions(), { G: 182.5e6, D: 5.6e6 }, {
    height: 512,
    width: 1024,
  });
  assert.equal(m.params, 4 * (182.5e6 + 5.6e6 + VGG19_PARAMS));
  assert.equal(m.gradients, 4 * (182.5e6 + 5.6e6));
  assert.match(
    formatMemoryEstimate(m),
    /^peak memory ≈ \d+\.\d\d GiB \(params 0\.\d\d, gradients 0\.\d\d, Adam 1\.\d\d, activations \d+\.\d\d\)$/,
  );
});

Deno.test("on oneDNN the estimate counts Adam's moments as outside the wasm heap", () => {
  const counts = { G: 182.5e6, D: 5.6e6 }, size = { height: 256, width: 512 };
  const wasm = estimateTrainingMemory(resolveTrainOptions({ ngf: 64 }), counts, size);
  const onednn = estimateTrainingMemory(resolveTrainOptions({ ngf: 64 }), counts, size, "onednn");
  assert.equal(wasm.offHeap, 0);
  assert.equal(onednn.offHeap, onednn.optimizer);
  assert.ok(onednn.total - onednn.offHeap < 4 * 2 ** 30, "ngf 64 at 512×256 fits a wasm heap on oneDNN");
  assert.ok(wasm.total > 4 * 2 ** 30);
  assert.match(formatMemoryEstimate(onednn), /; \d+\.\d\d GiB in the wasm heap$/);
  assert.doesNotMatch(formatMemoryEstimate(wasm), /wasm heap/);
});
