import assert from "node:assert/strict";
import { type CommandDef, runCli } from "../../kernel/cli.ts";
import { tf } from "../../backends/tf.ts";
import { encodeFeaturesCommand } from "../../scripts/encode_features.ts";
import { inspectCommand } from "../../scripts/inspect.ts";
import { precomputeFeatureMapsCommand } from "../../scripts/precompute_feature_maps.ts";
import { synthCommand } from "../../scripts/synth.ts";
import { recordingIO } from "../plugins/features/_tiny_model.ts";

await tf.setBackend("cpu");

/** Each sharded command with arguments that get it as far as reading its shard (nothing exists). */
const COMMANDS: [CommandDef, string[]][] = [
  [synthCommand, [
    "--weights",
    "/nope/G.pth",
    "--dataroot",
    "/nope",
    "--backend",
    "cpu",
  ]],
  [encodeFeaturesCommand, [
    "--name",
    "x",
    "--checkpoints_dir",
    "/nope",
    "--backend",
    "cpu",
  ]],
  [
    precomputeFeatureMapsCommand,
    ["--name", "x", "--checkpoints_dir", "/nope", "--backend", "cpu"],
  ],
  [inspectCommand, ["--dataroot", "/nope"]],
];

async function usageLine(command: CommandDef, args: string[]): Promise<string> {
  const io = recordingIO();
  const code = await runCli(command, args, io);
  const err = io.err.join("");
  assert.equal(code, 2, `${command.name} ${args.join(" ")}: exit ${code}, ${err}`);
  assert.equal(err.split("\n").length, 2, `not one line: ${err}`);
  assert.ok(err.endsWith(`; see ${command.name} --help\n`), err);
  return err;
}

async function withEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  for (const [key, value] of Object.entries(vars)) Deno.env.set(key, value);
  try {
    await fn();
  } finally {
    for (const key of Object.keys(vars)) Deno.env.delete(key);
  }
}

Deno.test("every sharded command rejects --shard 4/3, 0/3 and an index without a count with one line and exit 2", async () => {
  for (const [command, args] of COMMANDS) {
    assert.match(
      await usageLine(command, [...args, "--shard", "4/3"]),
      /^error: --shard 4\/3: the shard index must be between 1 and 3 \(1-based/,
    );
    assert.match(
      await usageLine(command, [...args, "--shard", "0/3"]),
      /^error: --shard 0\/3: the shard index must be/,
    );
    assert.match(
      await usageLine(command, [...args, "--shard", "2"]),
      /^error: --shard 2: the shard count is missing/,
    );
  }
});

Deno.test("every sharded command rejects an index from the environment without a count with one line and exit 2", async () => {
  for (const [command, args] of COMMANDS) {
    await withEnv({ JOB_COMPLETION_INDEX: "1" }, async () => {
      assert.match(
        await usageLine(command, args),
        /^error: JOB_COMPLETION_INDEX=1 is set \(a Kubernetes Indexed Job\) but the shard count is missing: pass --shards N/,
      );
    });
    await withEnv({ SLURM_ARRAY_TASK_ID: "2" }, async () => {
      assert.match(
        await usageLine(command, args),
        /^error: SLURM_ARRAY_TASK_ID=2 is set but SLURM_ARRAY_TASK_COUNT is not: the shard count is missing/,
      );
    });
  }
});

Deno.test("--shard on one --label map or on encode_features --merge is refused with one line and exit 2", async () => {
  assert.match(
    await usageLine(synthCommand, [
      "--weights",
      "/nope/G.pth",
      "--label",
      "/nope/l.png",
      "--shard",
      "1/2",
      "--backend",
      "cpu",
    ]),
    /^error: --shard and --shards split a folder of inputs, not one --label map: drop them/,
  );
  assert.match(
    await usageLine(encodeFeaturesCommand, [
      "--name",
      "x",
      "--merge",
      "--shard",
      "1/2",
      "--backend",
      "cpu",
    ]),
    /^error: --shard and --shards split a folder of inputs, not a --merge: drop them/,
  );
});
