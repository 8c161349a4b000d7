import { tf } from "../../../kernel/tf.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { TrainingSession } from "../../../plugins/train/session.ts";
const backend = Deno.args[0] ?? "cpu";
if (backend === "wasm") await import("../../../kernel/wasm/mod.ts");
await tf.setBackend(backend);
const opts = resolveTrainOptions({ label_nc: 4, ngf: 8, n_downsample_global: 2, n_blocks_global: 1, ndf: 8, n_layers_D: 2, no_vgg_loss: true, seed: 1 });
const s = await TrainingSession.create(opts);
const input = tf.tidy(() => tf.concat([tf.cast(tf.oneHot(tf.randomUniformInt([1, 32, 64], 0, 4, {seed: 1} as any), 4), "float32"), tf.zeros([1, 32, 64, 1])], 3)) as tf.Tensor4D;
const image = tf.randomUniform([1, 32, 64, 3], -1, 1, "float32", 2) as tf.Tensor4D;
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const r = s.step({ input, image });
  console.log(i, (performance.now() - t0).toFixed(0), "ms", JSON.stringify(r.losses), tf.memory().numTensors);
}
