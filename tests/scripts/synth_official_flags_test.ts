import assert from "node:assert/strict";
import { runDeno } from "../_run_deno.ts";
import { join } from "node:path";
import { decode } from "fast-png";
import { saveSafetensors } from "../../formats/safetensors.ts";
import { tf } from "../../backends/tf.ts";
import { GlobalGenerator } from "../../plugins/networks/global_generator.ts";

const script = new URL("../../scripts/synth.ts", import.meta.url).pathname;
const SAMPLE = new URL("../../datasets/cityscapes/", import.meta.url).pathname;
const SCENE = "frankfurt_000000_000576_gtFine";
const LABEL = `${SAMPLE}test_label/${SCENE}_labelIds.png`; // 512×256
const INST = `${SAMPLE}test_inst/${SCENE}_instanceIds.png`;

/** A tiny random global generator (ngf 4, 2 downsamplings: a multiple of 4) saved with a training config. */
async function tinyCheckpoint(config: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir();
  const G = new GlobalGenerator({
    input_nc: 36,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    seed: 3,
  });
  await saveSafetensors(join(dir, "latest_net_G.safetensors"), G.stateDict(), {
    config: JSON.stringify({ label_nc: 35, no_instance: false, ...config }),
  });
  G.dispose();
  return join(dir, "latest_net_G.safetensors");
}

async function synth(...args: string[]) {
  return await runDeno(["run", "-A", script, "--backend", "cpu", ...args]);
}

async function sizeOf(file: string): Promise<[number, number]> {
  const png = decode(await Deno.readFile(file));
  return [png.width, png.height];
}

await tf.setBackend("cpu");
const weights = await tinyCheckpoint({ resize_or_crop: "scale_width", loadSize: 128 });

Deno.test("synth takes the official test flags as the official scripts write them", async () => {
  const dir = await Deno.makeTempDir();
  const r = await synth(
    ...["--weights", weights, "--label", LABEL, "--inst", INST, "--out", `${dir}/o.png`],
    ...["--netG", "global", "--ngf", "4", "--n_downsample_global", "2", "--n_blocks_global", "1"],
    ...["--norm", "instance", "--resize_or_crop", "scale_width", "--loadSize", "128", "--fineSize", "512"],
    ...["--no_flip", "--serial_batches", "--nThreads", "1", "--batchSize", "1", "--display_winsize", "512"],
    ...[
      "--phase",
      "test",
      "--aspect_ratio",
      "1",
      "--data_type",
      "32",
      "--gpu_ids",
      "-1",
      "--model",
      "pix2pixHD",
    ],
    ...["--label_nc", "35", "--feat_num", "3", "--n_local_enhancers", "1", "--n_blocks_local", "3"],
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await sizeOf(`${dir}/o.png`), [128, 64]);
  assert.doesNotMatch(r.stderr, /XDG_RUNTIME_DIR/);
});

Deno.test("an architecture flag that does not match the weights is one line naming it and the weights' value, exit 1", async () => {
  const common = ["--weights", weights, "--label", LABEL, "--inst", INST, "--out", "/tmp/never.png"];
  for (
    const [flag, value, pattern] of [
      ["--ngf", "64", /--ngf 64 does not match the weights, which have ngf 4/],
      ["--netG", "local", /--netG local does not match the weights, which have netG global/],
      ["--n_downsample_global", "4", /which have n_downsample_global 2/],
      ["--n_blocks_global", "9", /which have n_blocks_global 1/],
      ["--norm", "batch", /which have norm instance/],
    ] as const
  ) {
    const r = await synth(...common, flag, value);
    assert.equal(r.code, 1, `${flag}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("error"));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  }
});

Deno.test("defaults come from the checkpoint's config: scale_width at its loadSize", async () => {
  const dir = await Deno.makeTempDir();
  const r = await synth("--weights", weights, "--label", LABEL, "--inst", INST, "--out", `${dir}/o.png`);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await sizeOf(`${dir}/o.png`), [128, 64]);
  assert.match(r.stderr, /from the checkpoint's training config: .*resize_or_crop scale_width, loadSize 128/);
});

Deno.test("every resize_or_crop mode runs, sizes that are not a multiple of the network's step included", async () => {
  const dir = await Deno.makeTempDir();
  const cases: [string[], [number, number]][] = [
    [["--resize_or_crop", "scale_width", "--loadSize", "102"], [102, 51]], // 51 rows: fitted to 52, back to 51
    [["--resize_or_crop", "none"], [512, 256]],
    [["--resize_or_crop", "crop", "--fineSize", "90"], [90, 90]],
    [["--resize_or_crop", "scale_width_and_crop", "--loadSize", "200", "--fineSize", "70"], [70, 70]],
    [["--resize_or_crop", "resize_and_crop", "--loadSize", "150", "--fineSize", "150"], [150, 150]],
  ];
  for (const [flags, size] of cases) {
    const out = `${dir}/${flags.join("_")}.png`;
    const r = await synth("--weights", weights, "--label", LABEL, "--inst", INST, "--out", out, ...flags);
    assert.equal(r.code, 0, `${flags.join(" ")}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.deepEqual(await sizeOf(out), size, flags.join(" "));
  }
});

Deno.test("ignored flags warn, TensorRT flags are refused with what to use instead", async () => {
  const common = ["--weights", weights, "--label", LABEL, "--inst", INST];
  let r = await synth(...common, "--out", `${await Deno.makeTempDir()}/o.png`, "--batchSize", "8");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /--batchSize 8 is ignored at inference: images run one at a time/);
  r = await synth(...common, "--export_onnx", "G.onnx");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /deno task export --weights <G> --format onnx --out G.onnx/);
  r = await synth(...common, "--engine", "G.trt");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /TensorRT does not run here/);
});
