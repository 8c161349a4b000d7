/**
 * The official code's output at the paper's full 2048×1024, against ours through `synth` as a user
 * runs it, on every CPU backend: a local generator (the 1024p layout, narrow so that the suite stays
 * fast) on a Cityscapes test scene. Before pixel sums were exact, agreement fell with the pixel count
 * (93 % of values within one level at 2048×1024 for the 1024p model); the wasm backend ran out of heap.
 * tests/fixtures/full_size/README.md says how the fixture was made.
 */
import assert from "node:assert/strict";
import { decode } from "fast-png";
import { loadNpy } from "../../formats/npy.ts";
import { loadOneDnn } from "../../backends/onednn/mod.ts";

const fixtures = new URL("../fixtures/full_size/", import.meta.url).pathname;
const script = new URL("../../scripts/synth.ts", import.meta.url).pathname;
const SCENE = "frankfurt_000000_000576_gtFine";
/** The reference keeps every 8th row of the official image. */
const ROW_STEP = 8;

async function synthFullSize(backend: string): Promise<{ image: Uint8Array; stdout: string }> {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        script,
        "--backend",
        backend,
        "--weights",
        `${fixtures}G_local_small.pth`,
        "--label",
        `${fixtures}${SCENE}_labelIds.png`,
        "--inst",
        `${fixtures}${SCENE}_instanceIds.png`,
        "--resize_or_crop",
        "none",
        "--out",
        `${dir}/out.png`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const png = decode(await Deno.readFile(`${dir}/out.png`));
    assert.deepEqual([png.width, png.height, png.channels], [2048, 1024, 3]);
    return { image: png.data as Uint8Array, stdout };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function checkBackend(backend: string) {
  const { image, stdout } = await synthFullSize(backend);
  assert.match(stdout, /peak memory \d+\.\d\d GiB/, "synth prints its peak memory");
  const ref = await loadNpy(`${fixtures}official_rows_every_8.npy`);
  assert.deepEqual(ref.shape, [1024 / ROW_STEP, 2048, 3]);
  const official = ref.data as Uint8Array;
  const rowBytes = 2048 * 3;
  let within1 = 0, worst = 0;
  for (let r = 0; r < ref.shape[0]; r++) {
    for (let i = 0; i < rowBytes; i++) {
      const d = Math.abs(image[r * ROW_STEP * rowBytes + i] - official[r * rowBytes + i]);
      if (d <= 1) within1++;
      worst = Math.max(worst, d);
    }
  }
  const share = within1 / official.length;
  assert.ok(share >= 0.995, `${backend}: ${(100 * share).toFixed(3)} % of values within 1 level (< 99.5 %)`);
  assert.ok(worst <= 2, `${backend}: a value is ${worst} levels off the official image (> 2)`);
}

Deno.test({
  name:
    "synth at 2048×1024 on oneDNN writes the official local generator's image (≥ 99.5 % within 1 level, none > 2)",
  ignore: !loadOneDnn().ok,
  fn: () => checkBackend("onednn"),
});

Deno.test("synth at 2048×1024 on wasm writes the official local generator's image (≥ 99.5 % within 1 level, none > 2)", () =>
  checkBackend("wasm"));
