import assert from "node:assert/strict";
import { runDeno } from "../_run_deno.ts";
import { decode } from "fast-png";
import { loadNpy } from "../../formats/npy.ts";

const fixtures = new URL("../fixtures/pytorch-parity/", import.meta.url).pathname;
const script = new URL("../../scripts/synth.ts", import.meta.url).pathname;

async function synth(...args: string[]) {
  return await runDeno(["run", "-A", script, "--backend", "cpu", ...args]);
}

/** The largest difference, in levels, between a written PNG and the official NCHW output as tensor2im makes it. */
async function levelsOff(png: string, reference: string): Promise<number> {
  const image = decode(await Deno.readFile(png));
  const ref = await loadNpy(reference);
  const data = ref.data as Float32Array;
  const [, , h, w] = ref.shape;
  let worst = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const expected = Math.trunc(Math.min(255, Math.max(0, (data[c * h * w + y * w + x] + 1) * 127.5)));
        worst = Math.max(worst, Math.abs(image.data[(y * w + x) * 3 + c] - expected));
      }
    }
  }
  return worst;
}

Deno.test("synth --weights G_global.pth writes the official generator's image as tensor2im makes it", async () => {
  const dir = await Deno.makeTempDir();
  const { code, stderr } = await synth(
    "--weights",
    `${fixtures}G_global.pth`,
    "--label",
    `${fixtures}label.png`,
    "--inst",
    `${fixtures}inst.png`,
    "--label_nc",
    "5",
    "--resize_or_crop",
    "none",
    "--out",
    `${dir}/out.png`,
  );
  assert.equal(code, 0, stderr);
  const png = decode(await Deno.readFile(`${dir}/out.png`));
  assert.deepEqual([png.width, png.height, png.channels, png.depth], [64, 32, 3, 8]);
  const worst = await levelsOff(`${dir}/out.png`, `${fixtures}G_global_out.npy`);
  assert.ok(worst <= 1, `max difference ${worst} levels`);
});

Deno.test("synth names the flag that is off when the input does not fit the generator", async () => {
  const common = [
    "--weights",
    `${fixtures}G_global.pth`,
    "--label",
    `${fixtures}label.png`,
    "--out",
    "/tmp/x.png",
  ];
  let r = await synth(...common, "--label_nc", "5", "--no_instance");
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /trained with instance maps \(6 input channels = 5 labels \+ 1 boundary\); pass instance maps and drop --no_instance/,
  );
  r = await synth(...common, "--inst", `${fixtures}inst.png`, "--label_nc", "35");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /it expects --label_nc 5, not 35/);
  r = await synth(...common, "--label_nc", "5");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pass --inst <png> or --no_instance/);
});

Deno.test("synth reports a missing weights file and a label map with ids ≥ label_nc", async () => {
  let r = await synth(
    "--weights",
    "/nope/latest_net_G.pth",
    "--label",
    `${fixtures}label.png`,
    "--no_instance",
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/nope\/latest_net_G.pth: does not exist/);
  const dir = await Deno.makeTempDir();
  const { encode } = await import("fast-png");
  await Deno.writeFile(
    `${dir}/bad.png`,
    encode({ width: 64, height: 32, channels: 1, depth: 8, data: new Uint8Array(2048).fill(9) }),
  );
  r = await synth(
    "--weights",
    `${fixtures}G_global.pth`,
    "--label",
    `${dir}/bad.png`,
    "--inst",
    `${fixtures}inst.png`,
    "--label_nc",
    "5",
    "--resize_or_crop",
    "none",
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.png.*9.*2048/);
});

Deno.test("synth --runtime onnxruntime writes the official global and local generators' images", async () => {
  const dir = await Deno.makeTempDir();
  for (const net of ["global", "local"]) {
    const out = `${dir}/${net}.png`;
    const { code, stdout, stderr } = await synth(
      ...["--weights", `${fixtures}G_${net}.pth`, "--label", `${fixtures}label.png`],
      ...["--inst", `${fixtures}inst.png`, "--label_nc", "5", "--resize_or_crop", "none"],
      ...["--runtime", "onnxruntime", "--intra_op_threads", "1", "--out", out],
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /onnxruntime \(data on cpu\): peak memory/);
    const worst = await levelsOff(out, `${fixtures}G_${net}_out.npy`);
    assert.ok(worst <= 1, `${net}: max difference ${worst} levels`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("synth --runtime with an unknown name exits 2 listing the runtimes", async () => {
  const { code, stderr } = await synth(
    ...["--weights", `${fixtures}G_global.pth`, "--label", `${fixtures}label.png`, "--runtime", "torch"],
  );
  assert.equal(code, 2);
  assert.match(stderr, /"runtime" must be one of "tfjs", "onnxruntime": current value is "torch"/);
});
