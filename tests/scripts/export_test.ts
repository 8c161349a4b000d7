import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../kernel/cli.ts";
import { tf } from "../../backends/tf.ts";
import { selectBackend } from "../../backends/select.ts";
import { openGenerator } from "../../plugins/inference/generator_file.ts";
import { exportCommand } from "../../scripts/export.ts";
import { recordingIO } from "../plugins/features/_tiny_model.ts";
import { maxDiff, runOnnx, toNchw } from "../plugins/export/_onnx_run.ts";

await selectBackend("cpu");

const root = new URL("../../", import.meta.url).pathname;
const fixtures = `${root}tests/fixtures/pytorch-parity/`;
const shipped = `${root}weights/label2city_256p/latest_net_G.safetensors`;

Deno.test("deno task export writes the shipped generator as ONNX that onnxruntime runs like our generator", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "G.onnx");
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "export", "--weights", shipped, "--format", "onnx", "--out", out, "--json"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  const result = JSON.parse(new TextDecoder().decode(run.stdout));
  assert.equal(result.format, "onnx");
  assert.equal(result.network, "G");
  assert.equal(result.bytes, (await Deno.stat(out)).size);

  const generator = await openGenerator(shipped);
  const x = tf.tidy(() =>
    tf.cast(tf.oneHot(tf.randomUniform([1, 32, 64], 0, 39, "int32", 9), 39), "float32")
  ) as tf.Tensor4D;
  const y = generator.net.apply(x);
  const error = maxDiff((await runOnnx(await Deno.readFile(out), { input: toNchw(x) })).image, toNchw(y));
  tf.dispose([x, y]);
  generator.net.dispose();
  assert.ok(error <= 1e-4, `max abs error ${error}`);
  await Deno.remove(dir, { recursive: true });
});

async function exportCli(...args: string[]) {
  const io = recordingIO();
  const code = await runCli(exportCommand, args, io);
  return { code, out: io.out.join(""), err: io.err.join("") };
}

Deno.test("export prints what it read and wrote", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "latest_net_G.pth");
  const r = await exportCli("--weights", `${fixtures}G_global.pth`, "--out", out);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /G_global\.pth: global generator, ngf 8, 2 downsamplings, 2 blocks, instance norm, 6 input channels\n/,
  );
  assert.match(r.out, /wrote .*latest_net_G\.pth \(pth, 20 tensors, 0\.\d\d MiB\) in \d+\.\d\d s/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("export refuses what it cannot do with one line and exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const cases: [string[], RegExp][] = [
    [
      ["--weights", `${fixtures}D_multiscale.pth`, "--format", "onnx", "--out", join(dir, "d.onnx")],
      /onnx cannot represent .*it is a discriminator \(net D\)/,
    ],
    [
      ["--weights", `${fixtures}G_global.pth`, "--format", "tflite", "--out", join(dir, "g.tflite")],
      /"tflite" is not a format export writes/,
    ],
    [["--weights", `${fixtures}G_global.pth`, "--out", join(dir, "g.bin")], /"format" is needed/],
    [
      ["--weights", `${fixtures}G_global.pth`, "--format", "onnx", "--out", join(dir, "g.pth")],
      /has the extension of pth/,
    ],
    [["--weights", `${fixtures}G_global.pth`], /export needs --weights <file> and --out <file>/],
  ];
  // the refusals go through the command's logger (the process's stderr): run them as a user does
  const runs = await Promise.all(cases.map(([args]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}scripts/export.ts`, ...args],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output()
  ));
  runs.forEach((r, i) => {
    const err = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 2, cases[i][0].join(" "));
    assert.match(err, cases[i][1]);
    assert.equal(err.trim().split("\n").length, 1, err);
  });
  assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a missing or unreadable checkpoint is one line naming it, exit 1", async () => {
  const dir = await Deno.makeTempDir();
  const notPth = join(dir, "latest_net_G.pth");
  await Deno.writeTextFile(notPth, "not a checkpoint");
  for (const weights of [join(dir, "missing_net_G.pth"), notPth]) {
    const r = await exportCli("--weights", weights, "--out", join(dir, "g.onnx"));
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^error: ${weights.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
  }
  await Deno.remove(dir, { recursive: true });
});
