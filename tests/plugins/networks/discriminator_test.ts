import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { MultiscaleDiscriminator } from "../../../plugins/networks/multiscale_discriminator.ts";

await selectBackend("cpu");

Deno.test("result i comes from the input downsampled i times through the weights of scale num_D-1-i", () => {
  const d = new MultiscaleDiscriminator({ input_nc: 3, ndf: 4, n_layers_D: 2, num_D: 3 });
  const x = tf.randomNormal([1, 32, 48, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const out = d.apply(x);
  assert.equal(tf.memory().numTensors, before + 3 * 4, "only the 3 × (n_layers_D + 2) outputs stay");
  // k4 p2: s2 layers give floor(n/2) + 1, s1 layers n + 1; inputs 32×48, 16×24, 8×12
  assert.deepEqual(out.map((scale) => scale.map((t) => t.shape)), [
    [[1, 17, 25, 4], [1, 9, 13, 8], [1, 10, 14, 16], [1, 11, 15, 1]],
    [[1, 9, 13, 4], [1, 5, 7, 8], [1, 6, 8, 16], [1, 7, 9, 1]],
    [[1, 5, 7, 4], [1, 3, 4, 8], [1, 4, 5, 16], [1, 5, 6, 1]],
  ]);
  const first = out[0][3].dataSync().slice(), last = out[2][3].dataSync().slice();
  tf.dispose(out.flat());
  // zeroing scale2's last conv changes only result[0]'s prediction
  const w = d.params().get("scale2_layer3.0.weight")!, b = d.params().get("scale2_layer3.0.bias")!;
  w.assign(tf.zerosLike(w));
  b.assign(tf.zerosLike(b));
  const again = d.apply(x);
  assert.ok(again[0][3].dataSync().every((v) => v === 0));
  assert.notDeepEqual(first, again[0][3].dataSync());
  assert.deepEqual(again[2][3].dataSync(), last);
  tf.dispose([x, ...again.flat()]);
  d.dispose();
});

Deno.test("channels double up to 512 and LeakyReLU(0.2) follows every layer but the last", () => {
  const d = new MultiscaleDiscriminator({ input_nc: 3, ndf: 256, n_layers_D: 3, num_D: 1 });
  const shapes = Object.fromEntries([...d.stateDict()].map(([name, a]) => [name, a.shape]));
  assert.deepEqual(shapes["scale0_layer1.0.weight"], [512, 256, 4, 4]);
  assert.deepEqual(shapes["scale0_layer2.0.weight"], [512, 512, 4, 4]);
  assert.deepEqual(shapes["scale0_layer3.0.weight"], [512, 512, 4, 4]);
  assert.deepEqual(shapes["scale0_layer4.0.weight"], [1, 512, 4, 4]);
  d.dispose();
  const small = new MultiscaleDiscriminator({ input_nc: 3, ndf: 2, n_layers_D: 1, num_D: 1 });
  const x = tf.randomNormal([1, 8, 8, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  const [[l0, l1, l2]] = small.apply(x);
  assert.ok(l0.dataSync().some((v) => v < 0), "leaky: negatives pass, scaled");
  const pre = tf.tidy(() => {
    const p = small.params();
    return tf.add(
      tf.conv2d(x, p.get("scale0_layer0.0.weight") as unknown as tf.Tensor4D, 2, 2),
      p.get("scale0_layer0.0.bias")!,
    );
  });
  const expected = pre.dataSync().map((v) => (v < 0 ? 0.2 * v : v));
  assert.ok(l0.dataSync().every((v, i) => Math.abs(v - expected[i]) < 1e-6));
  assert.ok(l2.dataSync().some((v) => v < 0) && l1.shape[3] === 4);
  tf.dispose([x, l0, l1, l2, pre]);
  small.dispose();
});

Deno.test("without getIntermFeat the weights are the official flat layer{i}.{k} and only predictions come back", () => {
  const d = new MultiscaleDiscriminator({
    input_nc: 3,
    ndf: 2,
    n_layers_D: 3,
    num_D: 2,
    getIntermFeat: false,
  });
  assert.deepEqual(
    [...d.params().keys()].filter((n) => n.startsWith("layer1.") && n.endsWith("weight")),
    ["layer1.0.weight", "layer1.2.weight", "layer1.5.weight", "layer1.8.weight", "layer1.11.weight"],
  );
  const batch = new MultiscaleDiscriminator({
    input_nc: 3,
    ndf: 2,
    n_layers_D: 3,
    num_D: 1,
    getIntermFeat: false,
    norm: "batch",
  });
  assert.ok(batch.params().has("layer0.3.weight") && batch.params().has("layer0.9.bias"));
  const x = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
  const out = d.apply(x);
  assert.deepEqual(out.map((s) => s.map((t) => t.shape)), [[[1, 5, 5, 1]], [[1, 4, 4, 1]]]);
  tf.dispose([x, ...out.flat()]);
  d.dispose();
  batch.dispose();
});

Deno.test("use_sigmoid turns predictions into probabilities, also with getIntermFeat", () => {
  const d = new MultiscaleDiscriminator({ input_nc: 3, ndf: 2, n_layers_D: 1, num_D: 2, use_sigmoid: true });
  const x = tf.randomNormal([1, 16, 16, 3], 0, 3, "float32", 3) as tf.Tensor4D;
  const out = d.apply(x);
  for (const scale of out) assert.ok(scale[scale.length - 1].dataSync().every((v) => v > 0 && v < 1));
  assert.ok(out[0][0].dataSync().some((v) => v < 0), "intermediate features are not squashed");
  tf.dispose([x, ...out.flat()]);
  d.dispose();
});

Deno.test("a wrong channel count is a clear error", () => {
  const d = new MultiscaleDiscriminator({ input_nc: 9, ndf: 2, num_D: 1 });
  const x = tf.zeros([1, 8, 8, 6]) as tf.Tensor4D;
  assert.throws(() => d.apply(x), /multiscale-discriminator expects 9 input channels \(input_nc\), got 6/);
  x.dispose();
  d.dispose();
});
