import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { pipeline } from "../../kernel/pipeline.ts";
import { Registry } from "../../kernel/registry.ts";
import {
  definePlugin,
  type Sample,
  type SinkStage,
  type SourceStage,
  type TransformStage,
} from "../../kernel/plugin.ts";
import { defineSchema } from "../../kernel/options.ts";

await tf.setBackend("cpu");

function counter(n: number, produced: number[] = []): SourceStage {
  return {
    kind: "source",
    name: "counter",
    gives: ["i", "x"],
    size: n,
    async *samples() {
      for (let i = 0; i < n; i++) {
        produced.push(i);
        yield { i, x: tf.fill([1, 2, 2, 1], i) };
      }
    },
  };
}
const double: TransformStage = {
  kind: "transform",
  name: "double",
  needs: ["x"],
  gives: ["x"],
  apply: (s) => {
    const x = tf.mul(s.x as tf.Tensor, 2);
    tf.dispose(s.x as tf.Tensor);
    return { ...s, x };
  },
};
function collect(): SinkStage<Sample[]> & { seen: Sample[] } {
  const seen: Sample[] = [];
  return {
    kind: "sink",
    name: "collect",
    needs: ["x"],
    seen,
    consume(s) {
      seen.push({ ...s, x: Array.from((s.x as tf.Tensor).dataSync()), shape: (s.x as tf.Tensor).shape });
      tf.dispose(s.x as tf.Tensor);
    },
    finish: () => seen,
  };
}

Deno.test("pipeline() streams samples through transforms into a sink without leaking tensors", async () => {
  const before = tf.memory().numTensors;
  const out = await pipeline().from(counter(3)).use(double).to(collect()).run();
  assert.deepEqual(out.map((s) => s.i), [0, 1, 2]);
  assert.deepEqual(out[2].x, [4, 4, 4, 4]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("batch() concatenates tensors on the batch axis and gathers other fields", async () => {
  const out = await pipeline().from(counter(5)).batch(2).to(collect()).run();
  assert.deepEqual(out.map((s) => s.shape), [[2, 2, 2, 1], [2, 2, 2, 1], [1, 2, 2, 1]]);
  assert.deepEqual(out[0].i, [0, 1]);
});

Deno.test("prefetch() reads ahead of a slow sink; take() stops early", async () => {
  const produced: number[] = [];
  let seenAtFirstConsume = -1;
  const sink: SinkStage = {
    kind: "sink",
    name: "slow",
    needs: [],
    async consume(s) {
      if (seenAtFirstConsume < 0) {
        await new Promise((r) => setTimeout(r, 20));
        seenAtFirstConsume = produced.length;
      }
      tf.dispose(s.x as tf.Tensor);
    },
  };
  await pipeline().from(counter(10, produced)).prefetch(3).take(4).to(sink).run();
  assert.ok(seenAtFirstConsume >= 3, `prefetched ${seenAtFirstConsume}`);
  assert.ok(produced.length <= 8, `produced ${produced.length}`);
});

Deno.test("a stage whose input is missing is a clear error before anything runs", () => {
  const needsLabel: TransformStage = {
    kind: "transform",
    name: "one-hot",
    needs: ["label"],
    gives: ["oneHot"],
    apply: (s) => s,
  };
  assert.throws(
    () => pipeline().from(counter(1)).use(needsLabel).to(collect()),
    /Stage "one-hot" needs "label", but the samples only have: i, x. Add a stage that gives "label" before it./,
  );
  assert.throws(() => pipeline().use(double).to(collect()), /The pipeline has no source/);
});

Deno.test("a frozen pipeline refuses more stages with a fix-it hint", () => {
  const p = pipeline().from(counter(1));
  p.to(collect());
  assert.throws(() => p.use(double), /Cannot call `use` on a frozen pipeline .* Create a new pipeline/);
});

Deno.test("stages resolve by plugin name with validated options", async () => {
  const registry = new Registry().register(definePlugin({
    name: "add",
    role: "transform",
    description: "adds a constant",
    provides: ["add"],
    schema: defineSchema({ value: { type: "number", default: 1, doc: "what to add" } }),
    create: (o): TransformStage => ({
      kind: "transform",
      name: "add",
      needs: ["x"],
      gives: ["x"],
      apply: (s) => {
        const x = tf.add(s.x as tf.Tensor, o.value);
        tf.dispose(s.x as tf.Tensor);
        return { ...s, x };
      },
    }),
  }));
  const out = await pipeline({ registry }).from(counter(1)).use("add", { value: 5 }).to(collect()).run();
  assert.deepEqual(out[0].x, [5, 5, 5, 5]);
  assert.throws(() => pipeline({ registry }).use("ad"), /Unknown plugin "ad" \(did you mean "add"\?\)/);
  assert.throws(() => pipeline({ registry }).use("add", { valeu: 1 }), /"valeu" is not an option/);
});

Deno.test("stream() yields samples for custom loops", async () => {
  const got: number[] = [];
  for await (const s of pipeline().from(counter(3)).use(double).stream()) {
    got.push((s.x as tf.Tensor).dataSync()[0]);
    tf.dispose(s.x as tf.Tensor);
  }
  assert.deepEqual(got, [0, 2, 4]);
});
