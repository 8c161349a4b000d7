import assert from "node:assert/strict";
import { UsageError } from "../../kernel/cli.ts";
import { parseShardFlag, resolveShard, type Shard, shardInputs, shardLabel } from "../../kernel/shard.ts";

const noEnv = () => undefined;
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const flags = (shard: string | null, shards: number | null = null) => ({ shard, shards });

Deno.test("parseShardFlag() reads i/n as a 1-based index", () => {
  assert.deepEqual(parseShardFlag("1/3"), { index: 0, count: 3, from: "--shard" });
  assert.deepEqual(parseShardFlag("3/3"), { index: 2, count: 3, from: "--shard" });
  assert.equal(shardLabel(parseShardFlag("2/5")), "2/5");
});

Deno.test("parseShardFlag() rejects 4/3, 0/3, an index without a count and non-numbers, one line each", () => {
  const cases: [string, RegExp][] = [
    ["4/3", /^--shard 4\/3: the shard index must be between 1 and 3 \(1-based, as in 1\/3 … 3\/3\)$/],
    ["0/3", /^--shard 0\/3: the shard index must be between 1 and 3/],
    ["2", /^--shard 2: the shard count is missing: write i\/n, e.g\. 2\/3$/],
    ["a/b", /^--shard a\/b: must be i\/n with whole numbers, e\.g\. 2\/3/],
    ["1/0", /^--shard 1\/0: the shard count must be at least 1$/],
    ["1/2/3", /^--shard 1\/2\/3: must be i\/n/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseShardFlag(text),
      (e: Error) => e instanceof UsageError && message.test(e.message),
    );
  }
});

Deno.test("resolveShard() takes a Kubernetes Indexed Job's 0-based JOB_COMPLETION_INDEX with --shards", () => {
  assert.deepEqual(
    resolveShard(flags(null, 3), envOf({ JOB_COMPLETION_INDEX: "0" })),
    { index: 0, count: 3, from: "JOB_COMPLETION_INDEX" },
  );
  assert.throws(
    () => resolveShard(flags(null), envOf({ JOB_COMPLETION_INDEX: "1" })),
    /^Error: JOB_COMPLETION_INDEX=1 is set \(a Kubernetes Indexed Job\) but the shard count is missing: pass --shards N/,
  );
  assert.throws(
    () => resolveShard(flags(null, 3), envOf({ JOB_COMPLETION_INDEX: "3" })),
    /JOB_COMPLETION_INDEX=3 of 3: the shard index must be between 0 and 2/,
  );
});

Deno.test("resolveShard() takes a Slurm array task relative to SLURM_ARRAY_TASK_MIN and its step", () => {
  const slurm = (vars: Record<string, string>) => resolveShard(flags(null), envOf(vars));
  assert.deepEqual(
    slurm({ SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" }),
    { index: 2, count: 3, from: "SLURM_ARRAY_TASK_ID" },
  );
  assert.deepEqual(
    slurm({ SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_COUNT: "4" })?.index,
    0,
  );
  assert.deepEqual(
    slurm({
      SLURM_ARRAY_TASK_ID: "14",
      SLURM_ARRAY_TASK_MIN: "10",
      SLURM_ARRAY_TASK_STEP: "2",
      SLURM_ARRAY_TASK_COUNT: "3",
    })?.index,
    2,
  );
  assert.throws(
    () => slurm({ SLURM_ARRAY_TASK_ID: "2" }),
    /SLURM_ARRAY_TASK_ID=2 is set but SLURM_ARRAY_TASK_COUNT is not/,
  );
  assert.throws(
    () => slurm({ SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" }),
    /SLURM_ARRAY_TASK_ID=5 of 3: the shard index must be between 0 and 2/,
  );
});

Deno.test("resolveShard(): --shard beats the environment; no index gives null; --shards alone is an error", () => {
  const env = envOf({ JOB_COMPLETION_INDEX: "0", SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "2" });
  assert.equal(resolveShard(flags("2/2"), env)?.from, "--shard");
  assert.equal(resolveShard(flags(null), noEnv), null);
  assert.throws(() => resolveShard(flags(null, 3), noEnv), /--shards 3 needs JOB_COMPLETION_INDEX/);
  assert.throws(() => resolveShard(flags("1/3", 3), noEnv), /--shard 1\/3 already names the count/);
});

Deno.test("resolveShard() ignores the environment where there is nothing to split, and rejects the flags there", () => {
  assert.equal(resolveShard(flags(null), envOf({ JOB_COMPLETION_INDEX: "1" }), "one --label map"), null);
  assert.throws(
    () => resolveShard(flags("1/2"), noEnv, "one --label map"),
    /--shard and --shards split a folder of inputs, not one --label map: drop them/,
  );
});

Deno.test("shardInputs() cuts the sorted names into contiguous runs that cover them once, whatever their order", () => {
  const names = Array.from({ length: 11 }, (_, i) => `img_${String(i).padStart(2, "0")}`);
  const shuffled = [...names].reverse();
  for (const count of [1, 2, 3, 4, 11, 13]) {
    const parts = Array.from({ length: count }, (_, index) => {
      const shard: Shard = { index, count, from: "--shard" };
      return shardInputs(shuffled, shard);
    });
    assert.deepEqual(parts.flat(), names, `count ${count}`);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `count ${count}: sizes ${sizes}`);
  }
  assert.deepEqual(shardInputs(["b", "a"], null), ["a", "b"]);
  assert.deepEqual(shardInputs(["B", "a", "_"], { index: 0, count: 1, from: "--shard" }), ["B", "_", "a"]);
});
