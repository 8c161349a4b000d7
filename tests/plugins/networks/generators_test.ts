import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { OptionsError } from "../../../kernel/errors.ts";
import { GlobalGenerator, globalGeneratorPlugin } from "../../../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../../../plugins/networks/local_enhancer.ts";
import { Encoder } from "../../../plugins/networks/encoder.ts";
import { networkPlugins as plugins } from "../../../plugins/networks/mod.ts";

await selectBackend("cpu");

const SMALL = { input_nc: 4, output_nc: 3, ngf: 4, n_downsample_global: 1, n_blocks_global: 1 };

function shapes(net: { stateDict(): Map<string, { shape: number[] }> }): Record<string, number[]> {
  return Object.fromEntries([...net.stateDict()].map(([name, a]) => [name, a.shape]));
}

Deno.test("the global generator uses the official module indices for reflect, zero and batch-norm variants", () => {
  const reflect = new GlobalGenerator(SMALL);
  assert.deepEqual(Object.keys(shapes(reflect)), [
    "model.1.weight",
    "model.1.bias",
    "model.4.weight",
    "model.4.bias",
    "model.7.conv_block.1.weight",
    "model.7.conv_block.1.bias",
    "model.7.conv_block.5.weight",
    "model.7.conv_block.5.bias",
    "model.8.weight",
    "model.8.bias",
    "model.12.weight",
    "model.12.bias",
  ]);
  const zero = new GlobalGenerator({ ...SMALL, padding_type: "zero" });
  assert.ok(
    zero.params().has("model.7.conv_block.0.weight") && zero.params().has("model.7.conv_block.3.weight"),
  );
  const batch = new GlobalGenerator({ ...SMALL, norm: "batch" });
  for (
    const name of [
      "model.2.weight",
      "model.2.running_mean",
      "model.7.conv_block.2.bias",
      "model.9.num_batches_tracked",
    ]
  ) {
    assert.ok(batch.stateDict().has(name), name);
  }
  [reflect, zero, batch].forEach((n) => n.dispose());
});

Deno.test("the global generator maps [b, h, w, input_nc] to images in [-1, 1] of the same size, leaking nothing", () => {
  for (const padding_type of ["reflect", "replicate", "zero"] as const) {
    const g = new GlobalGenerator({ ...SMALL, padding_type });
    const x = tf.randomNormal([2, 8, 12, 4], 0, 1, "float32", 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = g.apply(x);
    assert.equal(tf.memory().numTensors, before + 1);
    assert.deepEqual(y.shape, [2, 8, 12, 3]);
    assert.ok(y.dataSync().every((v) => v >= -1 && v <= 1));
    tf.dispose([x, y]);
    g.dispose();
  }
});

Deno.test("a wrong channel count or a side that is not a multiple of 2^n_downsample is a clear error", () => {
  const g = new GlobalGenerator(SMALL);
  const wrongChannels = tf.zeros([1, 8, 8, 5]) as tf.Tensor4D, odd = tf.zeros([1, 8, 9, 4]) as tf.Tensor4D;
  assert.throws(
    () => g.apply(wrongChannels),
    /global-generator expects 4 input channels \(input_nc\), got 5/,
  );
  assert.throws(() => g.apply(odd), /multiples of 2 \(2\^downsamplings\), got 9×8/);
  tf.dispose([wrongChannels, odd]);
  g.dispose();
});

Deno.test("options are validated with the official names", () => {
  assert.throws(() => new GlobalGenerator({ ngff: 3 } as never), OptionsError);
  assert.throws(
    () => new GlobalGenerator({ norm: "group" } as never),
    /"norm" must be one of "instance", "batch"/,
  );
  const defaults = new GlobalGenerator({ n_blocks_global: 0, n_downsample_global: 1, ngf: 2 }).options;
  assert.equal(defaults.input_nc, 36);
  assert.equal(defaults.padding_type, "reflect");
});

Deno.test("a local enhancer with two enhancers has the official names and output", () => {
  const g = new LocalEnhancer({
    input_nc: 4,
    ngf: 2,
    n_downsample_global: 1,
    n_blocks_global: 1,
    n_local_enhancers: 2,
    n_blocks_local: 1,
  });
  const s = shapes(g);
  assert.deepEqual(s["model.1.weight"], [8, 4, 7, 7], "the global part has ngf·2^n_local_enhancers filters");
  assert.ok(!("model.12.weight" in s), "the global part's output layers are dropped");
  assert.deepEqual(s["model1_1.1.weight"], [4, 4, 7, 7]);
  assert.deepEqual(s["model1_1.4.weight"], [8, 4, 3, 3]);
  assert.deepEqual(s["model1_2.1.weight"], [8, 4, 3, 3], "enhancer 1 upsamples 8 → 4 (transposed layout)");
  assert.ok(!("model1_2.5.weight" in s), "only the last enhancer has output layers");
  assert.deepEqual(s["model2_1.1.weight"], [2, 4, 7, 7]);
  assert.deepEqual(s["model2_2.0.conv_block.1.weight"], [4, 4, 3, 3]);
  assert.deepEqual(
    s["model2_2.5.weight"],
    [3, 2, 7, 7],
    "the last enhancer ends with Conv7×7(ngf → output_nc)",
  );
  const x = tf.randomNormal([1, 16, 24, 4], 0, 1, "float32", 2) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const t = g.trace(x);
  assert.deepEqual(t.pyramid.map((p) => p.shape), [[1, 8, 12, 4], [1, 4, 6, 4]]);
  assert.deepEqual(t.globalFeatures.shape, [1, 4, 6, 8]);
  assert.deepEqual(t.output.shape, [1, 16, 24, 3]);
  tf.dispose([...t.pyramid, t.globalFeatures, t.output]);
  tf.dispose(g.apply(x));
  assert.equal(tf.memory().numTensors, before);
  const wrongSide = tf.zeros([1, 8, 12, 4]) as tf.Tensor4D;
  assert.throws(() => g.apply(wrongSide), /multiples of 8 \(2\^downsamplings\), got 12×8/);
  wrongSide.dispose();
  x.dispose();
  g.dispose();
});

Deno.test("a local enhancer's forward pass holds under four full-resolution activations beyond its input", async () => {
  const g = new LocalEnhancer({
    input_nc: 5,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    n_local_enhancers: 1,
    n_blocks_local: 1,
  });
  const x = tf.randomUniform([1, 128, 256, 5], 0, 1, "float32", 3) as tf.Tensor4D;
  const activation = 128 * 256 * 4 * 4; // ngf channels at full resolution
  const before = tf.memory().numBytes;
  const profile = await tf.profile(() => tf.dispose(g.apply(x)));
  // the full-resolution layers run while only the input is live beside them (a conv output, then
  // instance norm's two temporaries): 3.5; holding the global features, the pyramid and the front's
  // output through them was 4.8
  assert.ok(
    profile.peakBytes - before < 4 * activation,
    `peak ${((profile.peakBytes - before) / activation).toFixed(2)} activations`,
  );
  assert.equal(tf.memory().numBytes, before);
  x.dispose();
  g.dispose();
});

Deno.test("the encoder's output is constant over every instance and equal to the instance mean", () => {
  const e = new Encoder({ nef: 2, n_downsample_E: 1 });
  const image = tf.randomUniform([2, 4, 6, 3], -1, 1, "float32", 3) as tf.Tensor4D;
  const ids = Array.from({ length: 2 * 24 }, (_, i) => (i < 24 ? [7, 26001, 26002][i % 3] : (i % 2) * 1000));
  const inst = tf.tensor4d(ids, [2, 4, 6, 1], "int32");
  const raw = e.features(image).arraySync().flat(2) as number[][];
  const pooled = e.apply(image, inst).arraySync().flat(2) as number[][];
  for (let i = 0; i < ids.length; i++) {
    const sample = Math.floor(i / 24);
    const members = ids.map((id, j) => [id, j] as const).filter(([id, j]) =>
      id === ids[i] && Math.floor(j / 24) === sample
    );
    for (let c = 0; c < 3; c++) {
      const mean = members.reduce((s, [, j]) => s + raw[j][c], 0) / members.length;
      assert.ok(Math.abs(pooled[i][c] - mean) < 1e-6, `pixel ${i} channel ${c}`);
    }
  }
  tf.dispose([image, inst]);
  e.dispose();
});

Deno.test("instance pooling passes gradients back as the pooled gradient, and checks the map's size", () => {
  const e = new Encoder({ nef: 2, n_downsample_E: 1 });
  const image = tf.randomUniform([1, 4, 4, 3], -1, 1, "float32", 4) as tf.Tensor4D;
  const inst = tf.tensor4d([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3], [1, 4, 4, 1], "int32");
  const weights = tf.randomNormal([1, 4, 4, 3], 0, 1, "float32", 5);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(e.apply(image, inst), weights)), [
    ...e.params().values(),
  ]);
  const viaRaw = tf.variableGrads(() => {
    const pooledWeights = tf.tidy(() => {
      const w = weights.arraySync() as number[][][][], ids = inst.arraySync() as number[][][][];
      return tf.tensor(w.map((b) =>
        b.map((row, i) =>
          row.map((_, j) =>
            [0, 1, 2].map((c) => {
              const same = ids[0].flatMap((r, ii) =>
                r.flatMap((id, jj) => (id[0] === ids[0][i][j][0] ? [w[0][ii][jj][c]] : []))
              );
              return same.reduce((s, v) => s + v, 0) / same.length;
            })
          )
        )
      ));
    });
    return tf.sum(tf.mul(e.features(image), pooledWeights));
  }, [...e.params().values()]);
  for (const name of Object.keys(grads)) {
    const a = grads[name].dataSync(), b = viaRaw.grads[name].dataSync();
    assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-5), name);
  }
  tf.dispose([value, ...Object.values(grads), ...Object.values(viaRaw.grads), viaRaw.value]);
  assert.equal(tf.memory().numTensors, before);
  const wrong = tf.zeros([1, 4, 2, 1]) as tf.Tensor4D;
  assert.throws(
    () => e.apply(image, wrong),
    /instance map of shape \[1, 4, 2, 1\] does not match features \[1, 4, 4, 3\]/,
  );
  tf.dispose([image, inst, weights, wrong]);
  e.dispose();
});

Deno.test("every network is a plugin with a role, and create builds it from resolved options", () => {
  assert.deepEqual(plugins.map((p) => [p.name, p.role]), [
    ["global-generator", "generator"],
    ["local-enhancer", "generator"],
    ["multiscale-discriminator", "discriminator"],
    ["encoder", "encoder"],
  ]);
  const g = globalGeneratorPlugin.create({ ...new GlobalGenerator(SMALL).options, seed: 9 }, {} as never);
  assert.ok(g instanceof GlobalGenerator && g.options.seed === 9);
  g.dispose();
});
