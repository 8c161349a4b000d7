import assert from "node:assert/strict";
import { selectBackend } from "../../backends/select.ts";
import { createLogger } from "../../kernel/log.ts";
import { tf } from "../../backends/tf.ts";
import { parseForwardCase } from "../../bench/cases.ts";
import { measureForward } from "../../bench/nets.ts";

await selectBackend("cpu");

Deno.test("a forward case times one warm-up and reps runs, and frees its network and input", async () => {
  const before = tf.memory().numTensors;
  const timing = await measureForward(parseForwardCase("local-ngf2-64x64"), 2, createLogger("silent"));
  assert.equal(timing.times.length, 2);
  assert.ok(timing.firstSeconds > 0 && timing.seconds > 0);
  assert.ok(timing.times.includes(timing.seconds), "the median is one of the runs");
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a forward case on the onnxruntime runtime times its session and frees every tensor", async () => {
  const before = tf.memory().numTensors;
  const timing = await measureForward(parseForwardCase("local-ngf2-64x64"), 2, createLogger("silent"), {
    runtime: "onnxruntime",
    threads: 1,
  });
  assert.equal(timing.times.length, 2);
  assert.ok(timing.firstSeconds > 0 && timing.seconds > 0);
  assert.equal(tf.memory().numTensors, before);
});
