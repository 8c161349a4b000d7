import assert from "node:assert/strict";
import { runDeno } from "../_run_deno.ts";
import { join } from "node:path";
import { type CliIO, defineCommand, defineGroup, EXIT, runCli } from "../../kernel/cli.ts";
import { defineSchema } from "../../kernel/options.ts";
import { DataError } from "../../kernel/errors.ts";
import { tf } from "../../backends/tf.ts";

const ROOT = new URL("../../", import.meta.url);

/** A terminal that records what is written; colour as asked; no P2PHD_BACKEND unless given. */
function captureIO(color = false, env: Record<string, string> = {}): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    color: { stdout: color, stderr: color },
    columns: 200,
    env: (name: string) => env[name],
  };
  return io;
}

const schema = defineSchema({
  label_nc: { type: "int", default: 35, min: 0, doc: "number of input label classes" },
  n_downsample_global: { type: "int", default: 4, min: 1, doc: "downsamplings in the global generator" },
  loadSize: { type: "int", default: 1024, min: 1, doc: "scale images to this size" },
  no_instance: { type: "boolean", default: false, doc: "do not add instance boundaries" },
  flip: { type: "boolean", default: true, doc: "random horizontal flips" },
  lr: { type: "number", default: 0.0002, min: 0, doc: "learning rate" },
  resize_or_crop: {
    type: "enum",
    default: "scale_width",
    choices: ["scale_width", "crop", "none"],
    doc: "preprocessing",
  },
  name: { type: "string", default: null, doc: "experiment name" },
});

const train = defineCommand({
  name: "train",
  description: "train a generator",
  schema,
  positional: [{ name: "dataroot", doc: "dataset folder" }, {
    name: "extra",
    doc: "more",
    required: false,
    variadic: true,
  }],
  json: true,
  examples: ["deno task train datasets/cityscapes --label_nc 35"],
  run(ctx) {
    if (ctx.args.dataroot === "missing") throw new DataError("missing", "no such folder; check --dataroot");
    if (ctx.args.dataroot === "bug") throw new TypeError("undefined is not a function");
    ctx.emit(
      { options: ctx.options, args: ctx.args, backend: ctx.backend?.name },
      (r) => `trained on ${r.args.dataroot}`,
    );
    return ctx.args.dataroot === "problem" ? EXIT.failed : undefined;
  },
});

const bench = defineGroup({
  name: "bench",
  description: "benchmarks",
  commands: [
    train,
    defineCommand({
      name: "kernels",
      description: "kernel timings",
      backend: false,
      run: (c) => c.print("k"),
    }),
    defineCommand({ name: "data", description: "data loading", backend: false, run: (c) => c.print("d") }),
  ],
});

Deno.test("options parse into typed values with defaults filled in, and --json prints them", async () => {
  const io = captureIO();
  const code = await runCli(train, [
    "root",
    "--label_nc",
    "0",
    "--no_instance",
    "--no-flip",
    "--lr=1e-3",
    "--loadSize",
    "512",
    "--resize_or_crop",
    "none",
    "--json",
    "--backend",
    "cpu",
  ], io);
  assert.equal(code, 0, io.err);
  const result = JSON.parse(io.out);
  assert.deepEqual(result.options, {
    label_nc: 0,
    n_downsample_global: 4,
    loadSize: 512,
    no_instance: true,
    flip: false,
    lr: 0.001,
    resize_or_crop: "none",
    name: null,
  });
  assert.deepEqual(result.args, { dataroot: "root", extra: [] });
  assert.equal(result.backend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
});

Deno.test("without --json the human format is printed", async () => {
  const io = captureIO();
  assert.equal(await runCli(train, ["root", "a", "b", "--backend", "cpu"], io), 0);
  assert.equal(io.out, "trained on root\n");
  assert.equal(io.err, "");
});

Deno.test("--help lists every option with its default and exits 0", async () => {
  const io = captureIO();
  assert.equal(await runCli(train, ["--help"], io), EXIT.ok);
  assert.match(io.out, /Usage: train \[options\] <dataroot> \[extra\.\.\.\]/);
  assert.match(io.out, /--label_nc <int>\s+number of input label classes \(≥ 0; default: 35\)/);
  assert.match(
    io.out,
    /--n_downsample_global <int>\s+downsamplings in the global generator \(≥ 1; default: 4\)/,
  );
  assert.match(io.out, /--no_instance\s+do not add instance boundaries\n/);
  assert.match(io.out, /--no-flip\s+turn "flip" off/);
  assert.match(io.out, /--lr <number>\s+learning rate \(≥ 0; default: 0\.0002\)/);
  assert.match(
    io.out,
    /--resize_or_crop <choice>\s+preprocessing \(one of scale_width, crop, none; default: scale_width\)/,
  );
  assert.match(io.out, /--name <text>\s+experiment name \(optional\)/);
  assert.match(
    io.out,
    /--backend <name>\s+compute backend: auto, tensorflow, onednn, webgpu, ort, wasm, cpu \(default: auto\)/,
  );
  assert.match(io.out, /Examples:\n {2}deno task train datasets\/cityscapes --label_nc 35/);
  assert.ok(!io.out.includes("\x1b["), "no colour when the stream is not a terminal");
});

Deno.test("help is coloured only when colour is allowed, and shows P2PHD_BACKEND as the default", async () => {
  const io = captureIO(true, { P2PHD_BACKEND: "wasm" });
  assert.equal(await runCli(train, ["--help"], io), 0);
  assert.ok(io.out.includes("\x1b[1mUsage:"), io.out);
  assert.match(io.out, /default: wasm, from P2PHD_BACKEND/);
});

Deno.test("an unknown option is one line naming it and the closest option, exit 2", async () => {
  const io = captureIO();
  assert.equal(await runCli(train, ["root", "--label_n", "3"], io), EXIT.usage);
  assert.equal(
    io.err,
    "error: unknown option --label_n for train (did you mean --label_nc?); see train --help\n",
  );
  assert.equal(io.out, "");
});

Deno.test("a bad option value is a usage error naming the option and the constraint, exit 2", async () => {
  for (
    const [args, pattern] of [
      [["--label_nc", "abc"], /"label_nc" must be a number: current value is "abc"/],
      [["--n_downsample_global", "0"], /"n_downsample_global" must be an integer in \[1, ∞\]/],
      [["--resize_or_crop", "scale"], /"resize_or_crop" must be one of "scale_width", "crop", "none"/],
      [["--resize_or_crop", "cropp"], /\(did you mean "crop"\?\)/],
      [["--backend", "cpux"], /unknown backend "cpux" \(did you mean "cpu"\?\)/],
      [["--label_nc"], /option '--label_nc <int>' argument missing/],
    ] as const
  ) {
    const io = captureIO();
    assert.equal(await runCli(train, ["root", ...args], io), EXIT.usage, args.join(" "));
    assert.match(io.err, pattern);
    assert.equal(io.err.trimEnd().split("\n").length, 1, io.err);
  }
});

Deno.test("a missing positional argument is a usage error, exit 2", async () => {
  const io = captureIO();
  assert.equal(await runCli(train, [], io), EXIT.usage);
  assert.equal(io.err, "error: missing required argument 'dataroot'; see train --help\n");
});

Deno.test("a user error prints one line without a stack, exit 1", async () => {
  const io = captureIO();
  assert.equal(await runCli(train, ["missing", "--backend", "cpu"], io), EXIT.failed);
  assert.equal(io.err, "error: missing: no such folder; check --dataroot\n");
});

Deno.test("a job that finds a problem exits 1", async () => {
  const io = captureIO();
  assert.equal(await runCli(train, ["problem", "--backend", "cpu"], io), EXIT.failed);
});

Deno.test("any other error is a bug and prints its stack, exit 1", async () => {
  const io = captureIO();
  assert.equal(await runCli(train, ["bug", "--backend", "cpu"], io), EXIT.failed);
  assert.match(
    io.err,
    /^internal error \(a bug; please report it with this trace\):\nTypeError: undefined is not a function\n {4}at /,
  );
});

Deno.test("P2PHD_BACKEND selects the backend when --backend is not given", async () => {
  const io = captureIO(false, { P2PHD_BACKEND: "cpu" });
  assert.equal(await runCli(train, ["root", "--json"], io), 0, io.err);
  assert.equal(JSON.parse(io.out).backend, "cpu");
});

Deno.test("subcommands dispatch; an unknown one names the closest, exit 2", async () => {
  let io = captureIO();
  assert.equal(await runCli(bench, ["kernels"], io), 0);
  assert.equal(io.out, "k\n");
  io = captureIO();
  assert.equal(await runCli(bench, ["kernals"], io), EXIT.usage);
  assert.equal(
    io.err,
    'error: unknown command "kernals" for bench (did you mean "kernels"?); commands: train, kernels, data\n',
  );
  io = captureIO();
  assert.equal(await runCli(bench, ["train", "root", "--lrr", "1"], io), EXIT.usage);
  assert.equal(
    io.err,
    "error: unknown option --lrr for bench train (did you mean --lr?); see bench train --help\n",
  );
});

Deno.test("a group without a subcommand shows its help on stderr, exit 2; --help exits 0", async () => {
  let io = captureIO();
  assert.equal(await runCli(bench, [], io), EXIT.usage);
  assert.match(io.err, /Commands:\n\s+train \[options\] <dataroot> \[extra\.\.\.\]\s+train a generator/);
  io = captureIO();
  assert.equal(await runCli(bench, ["--help"], io), EXIT.ok);
  assert.match(io.out, /kernels\s+kernel timings/);
  io = captureIO();
  assert.equal(await runCli(bench, ["data", "--help"], io), EXIT.ok);
  assert.match(io.out, /Usage: bench data \[options\]/);
  assert.doesNotMatch(io.out, /--backend/, "commands declared backend: false have no --backend");
});

Deno.test("defineCommand rejects a global option name and a variadic argument before the last", () => {
  assert.throws(
    () =>
      defineCommand({
        name: "x",
        description: "",
        schema: defineSchema({ json: { type: "boolean", default: false, doc: "" } }),
        run: () => {},
      }),
    /"--json" is a global option/,
  );
  assert.throws(
    () =>
      defineCommand({
        name: "x",
        description: "",
        positional: [{ name: "a", doc: "", variadic: true }, { name: "b", doc: "" }],
        run: () => {},
      }),
    /only the last positional argument may be variadic/,
  );
});

Deno.test("a script using main() exits with the codes scripts rely on", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "demo.ts");
    await Deno.writeTextFile(
      script,
      `import { defineCommand, main } from ${JSON.stringify(new URL("kernel/cli.ts", ROOT).href)};
import { DataError } from ${JSON.stringify(new URL("kernel/errors.ts", ROOT).href)};
await main(defineCommand({
  name: "demo", description: "demo", backend: false, positional: [{ name: "what", doc: "ok|fail" }],
  run(ctx) { if (ctx.args.what === "fail") throw new DataError("in.png", "truncated"); ctx.print("fine"); },
}));
`,
    );
    const run = async (...args: string[]) => {
      return await runDeno([
        "run",
        "-A",
        "--no-check",
        "--config",
        new URL("deno.json", ROOT).pathname,
        script,
        ...args,
      ], { env: { NO_COLOR: "1" } });
    };
    assert.deepEqual(await run("ok"), { code: 0, stdout: "fine\n", stderr: "" });
    assert.deepEqual(await run("fail"), { code: 1, stdout: "", stderr: "error: in.png: truncated\n" });
    const usage = await run("ok", "--verbos");
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, "error: unknown option --verbos for demo; see demo --help\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ctx.typed holds exactly the options given on the command line, even at their default value", async () => {
  let typed: string[] = [];
  const probe = defineCommand({
    name: "probe",
    description: "records typed options",
    schema,
    backend: false,
    run(ctx) {
      typed = [...ctx.typed].sort();
    },
  });
  assert.equal(await runCli(probe, ["--label_nc", "35", "--no_instance"], captureIO()), 0);
  assert.deepEqual(typed, ["label_nc", "no_instance"]);
  assert.equal(await runCli(probe, [], captureIO()), 0);
  assert.deepEqual(typed, []);
});

Deno.test("a list option is repeatable on the command line and says so in --help", async () => {
  let plugins: string[] = [];
  const probe = defineCommand({
    name: "probe",
    description: "records a list option",
    schema: defineSchema({ plugin: { type: "list", default: [], doc: "a plugin module" } }),
    backend: false,
    run(ctx) {
      plugins = ctx.options.plugin;
    },
  });
  assert.equal(await runCli(probe, ["--plugin", "a.ts", "--plugin", "https://x.test/b.ts"], captureIO()), 0);
  assert.deepEqual(plugins, ["a.ts", "https://x.test/b.ts"]);
  assert.equal(await runCli(probe, [], captureIO()), 0);
  assert.deepEqual(plugins, []);
  const io = captureIO();
  assert.equal(await runCli(probe, ["--help"], io), 0);
  assert.match(io.out, /--plugin <text>\s+a plugin module \(repeatable\)/);
});
