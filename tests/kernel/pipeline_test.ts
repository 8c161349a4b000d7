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
import "../../plugins/mod.ts"; // our plugins by name, for the typed-options test

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

Deno.test("a stage whose input is missing is a clear error before anything runs", async () => {
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
  await assert.rejects(() => pipeline().use(double).to(collect()).run(), /The pipeline has no source/);
});

Deno.test("a pipeline that has run refuses more stages with a fix-it hint", async () => {
  const p = pipeline().from(counter(1));
  await p.to(collect()).run();
  assert.throws(
    () => p.use(double),
    /Cannot call `use` on a pipeline that has run .* start another with pipeline\(\)/,
  );
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

/** A plugin adding its `value` option to `x`, counting how often it builds a stage. */
function addPlugin(built: number[] = []) {
  return definePlugin({
    name: "add",
    role: "transform",
    description: "adds a constant",
    provides: ["add"],
    schema: defineSchema({
      value: { type: "number", default: 1, doc: "what to add" },
      label_nc: { type: "int", default: 35, min: 0, doc: "a fact-fed option" },
    }),
    create: (o): TransformStage => {
      built.push(o.label_nc);
      return {
        kind: "transform",
        name: "add",
        needs: ["x"],
        gives: ["x", "label_nc"],
        apply: (s) => {
          const x = tf.add(s.x as tf.Tensor, o.value);
          tf.dispose(s.x as tf.Tensor);
          return { ...s, x, label_nc: o.label_nc };
        },
      };
    },
  });
}

function withFacts(source: SourceStage, facts: Record<string, unknown>): SourceStage {
  return { ...source, facts };
}

Deno.test("a pipeline is configured once and processes single samples, building its stages once", async () => {
  const built: number[] = [];
  const p = pipeline().use(addPlugin(built), { value: 2 }).use(double);
  const before = tf.memory().numTensors;
  for (const v of [1, 5]) {
    const out = await p.process({ x: tf.fill([1, 1, 1, 1], v) });
    assert.deepEqual(Array.from((out.x as tf.Tensor).dataSync()), [(v + 2) * 2]);
    tf.dispose(out.x as tf.Tensor);
  }
  await p.close();
  assert.deepEqual(built, [35]);
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(() => p.process({ y: 1 }), /Stage "add" needs "x", but the sample only has: y/);
});

Deno.test("one pipeline value runs over several sources and composes into another", async () => {
  const encode = pipeline().use(double);
  const run = pipeline().use(encode).use(addPlugin(), { value: 1 }).to(collect());
  const a = [...await run.run(counter(2))]; // an object sink is the caller's: it collects over both runs
  const b = (await run.run(counter(3))).slice(2);
  assert.deepEqual(a.map((s) => (s.x as number[])[0]), [1, 3]);
  assert.deepEqual(b.map((s) => (s.x as number[])[0]), [1, 3, 5]);
  const samples = [];
  for await (const s of encode.stream([{ x: tf.fill([1, 1, 1, 1], 4) }])) samples.push(s);
  assert.deepEqual(Array.from((samples[0].x as tf.Tensor).dataSync()), [8]);
  tf.dispose(samples[0].x as tf.Tensor);
  assert.throws(
    () => pipeline().use(pipeline().from(counter(1))),
    /use\(pipeline\) appends another pipeline's steps; that one reads from "counter": leave its source out/,
  );
});

Deno.test("what a source implies flows to every stage option of that name the call did not give", async () => {
  const built: number[] = [];
  const plugin = addPlugin(built);
  await pipeline().use(plugin).to(collect()).run(withFacts(counter(1), { label_nc: 151 }));
  await pipeline().use(plugin, { label_nc: 12 }).to(collect()).run(withFacts(counter(1), { label_nc: 151 }));
  await pipeline({ facts: { label_nc: 8 } }).use(plugin).to(collect()).run(
    withFacts(counter(1), { label_nc: 151 }),
  );
  assert.deepEqual(built, [151, 12, 8]);
  const p = pipeline().use(plugin).to(collect());
  await p.run(withFacts(counter(1), { label_nc: 151 }));
  await assert.rejects(
    () => p.run(withFacts(counter(1), { label_nc: 11 })),
    /stages were built for label_nc = 151, but this source implies label_nc = 11: build another pipeline/,
  );
});

Deno.test("a stage that throws does not leak the sample it was given", async () => {
  const boom: TransformStage = {
    kind: "transform",
    name: "boom",
    needs: ["x"],
    gives: [],
    apply: () => {
      throw new Error("boom");
    },
  };
  const before = tf.memory().numTensors;
  await assert.rejects(() => pipeline().use(double).use(boom).process({ x: tf.zeros([1, 2, 2, 1]) }), /boom/);
  await assert.rejects(() => pipeline().use(boom).to(collect()).run(counter(2)), /boom/);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("stage options are typed where a stage is named or given as a plugin", () => {
  // Compile-time checks: `deno test` type-checks this file, and an unused @ts-expect-error fails it.
  const typed = () => {
    // @ts-expect-error "label_ncc" is not an option of one-hot
    pipeline().use("one-hot", { label_ncc: 35 });
    // @ts-expect-error edge_source is one of inst, label, auto
    pipeline().use("boundaries", { edge_source: "edges" });
    // @ts-expect-error value is a number
    pipeline().use(addPlugin(), { value: "2" });
    pipeline().use("one-hot", { label_nc: 35 }).use("a-users-plugin", { anything: 1 });
  };
  assert.equal(typeof typed, "function");
});
