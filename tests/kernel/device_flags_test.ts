import assert from "node:assert/strict";
import { type CliIO, defineCommand, EXIT, runCli } from "../../kernel/cli.ts";
import { deviceRequest, deviceSchema } from "../../kernel/device_flags.ts";
import { OptionsError } from "../../kernel/errors.ts";
import { selectBackend } from "../../backends/select.ts";

const flags = (o: Record<string, unknown> = {}) => ({
  gpu_ids: null,
  fp16: false,
  data_type: 32,
  tf_log: false,
  ...o,
});

Deno.test("--gpu_ids -1 asks for the CPU, one id for that GPU, none for the backend's choice", () => {
  assert.deepEqual(deviceRequest("synth", flags()), { cpu: false, gpu: null });
  assert.deepEqual(deviceRequest("synth", flags({ gpu_ids: "-1" })), { cpu: true, gpu: null });
  assert.deepEqual(deviceRequest("synth", flags({ gpu_ids: "2" })), { cpu: false, gpu: 2 });
  // as the official parser: negative ids are dropped
  assert.deepEqual(deviceRequest("synth", flags({ gpu_ids: "1,-1" })), { cpu: false, gpu: 1 });
});

Deno.test("more than one GPU, fp16, data_type 8/16 and tf_log are refused with the reason and what to do", () => {
  const refused = (o: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => deviceRequest("train", flags(o)), (e: Error) => {
      assert.ok(e instanceof OptionsError);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  refused(
    { gpu_ids: "0,1,2,3,4,5,6,7" },
    /names 8 GPUs: multi-GPU is not supported; pass one id \(--gpu_ids 0\)/,
  );
  refused({ gpu_ids: "zero" }, /"gpu_ids" must be GPU ids such as 0 or 0,1, or -1 for the CPU/);
  refused({ fp16: true }, /"fp16" is not supported: TensorFlow.js computes in float32.*drop --fp16/);
  refused({ data_type: 16 }, /"data_type" 16 is not supported.*half\(\).*drop --data_type/);
  refused({ data_type: 8 }, /"data_type" 8 is not supported.*TensorRT.*drop --data_type/);
  refused(
    { tf_log: true },
    /"tf_log" is not supported: there is no TensorBoard writer.*loss_log.jsonl.*drop --tf_log/,
  );
});

function captureIO(): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    color: { stdout: false, stderr: false },
    env: () => undefined,
  };
  return io;
}

const command = defineCommand({
  name: "synth",
  description: "a command with the device flags",
  schema: { ...deviceSchema, netG: { type: "string", default: null, doc: "generator" } },
  run: (ctx) => ctx.print(`ran on ${ctx.backend?.name} netG=${ctx.options.netG}`),
});

Deno.test("a command with the device flags refuses --fp16 and multi-GPU with exit 2, one line, never 'unknown option'", async () => {
  for (const args of [["--fp16"], ["--gpu_ids", "0,1"], ["--data_type", "16"], ["--tf_log"]]) {
    const io = captureIO();
    assert.equal(await runCli(command, [...args, "--backend", "cpu"], io), EXIT.usage, args.join(" "));
    assert.doesNotMatch(io.err, /unknown option/);
    assert.equal(io.err.trim().split("\n").length, 1, io.err);
    assert.equal(io.out, "");
  }
});

Deno.test("--gpu_ids -1 runs on a CPU backend and says so; one id on a CPU backend says it runs on the CPU", async () => {
  let io = captureIO();
  assert.equal(await runCli(command, ["--gpu_ids", "-1", "--backend", "cpu"], io), EXIT.ok, io.err);
  assert.match(io.out, /ran on cpu/);
  assert.match(io.err, /--gpu_ids -1: on the CPU/);
  io = captureIO();
  assert.equal(await runCli(command, ["--gpu_ids", "0", "--backend", "cpu"], io), EXIT.ok, io.err);
  assert.match(io.err, /--gpu_ids 0: cpu runs on the CPU/);
  const choice = await selectBackend("auto", { cpu: true, gpu: null });
  assert.notEqual(choice.name, "webgpu");
  assert.match(choice.reason, /GPU backends: --gpu_ids -1/);
  await assert.rejects(
    () => selectBackend("webgpu", { cpu: true, gpu: null }),
    /--gpu_ids -1 asks for the CPU/,
  );
  await selectBackend("cpu");
});

Deno.test("---flag (the official script's typo) is read as --flag with a warning", async () => {
  const io = captureIO();
  assert.equal(await runCli(command, ["---netG", "local", "--backend", "cpu"], io), EXIT.ok, io.err);
  assert.match(io.out, /netG=local/);
  assert.match(io.err, /warning: read ---netG as --netG \(three dashes: a typo/);
});
