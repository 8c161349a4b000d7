import { tf } from "../../../kernel/tf.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { TrainingSession } from "../../../plugins/train/session.ts";
if (Deno.args[0] === "wasm") await import("../../../kernel/wasm/mod.ts");
await tf.setBackend(Deno.args[0] ?? "cpu");
const lr = Number(Deno.args[1] ?? 0.002);
const opts = resolveTrainOptions({ label_nc: 4, ngf: 4, n_downsample_global: 2, n_blocks_global: 1, ndf: 4, n_layers_D: 2, no_vgg_loss: true, seed: 1, lr });
const s = await TrainingSession.create(opts);
const ids = tf.tidy(() => tf.cast(tf.reshape(tf.floor(tf.div(tf.range(0, 64 * 32), 512)), [1, 32, 64]), "int32"));
const input = tf.tidy(() => tf.concat([tf.cast(tf.oneHot(ids, 4), "float32"), tf.zeros([1, 32, 64, 1])], 3)) as tf.Tensor4D;
const image = tf.tidy(() => tf.tanh(tf.add(tf.mul(tf.cast(tf.oneHot(ids, 3), "float32"), 1.2), tf.randomUniform([1, 32, 64, 3], -0.3, 0.3, "float32", 2)))) as tf.Tensor4D;
const psnr = () => tf.tidy(() => { const f = s.models.G.apply(input); const mse = tf.mean(tf.squaredDifference(tf.div(tf.add(f, 1), 2), tf.div(tf.add(image, 1), 2))); return 10 * Math.log10(1 / mse.dataSync()[0]); });
console.log("psnr0", psnr());
const t0 = performance.now();
for (let i = 0; i < 12; i++) { s.step({ input, image }); if (i % 3 == 2) console.log(i, psnr().toFixed(2), ((performance.now() - t0) / 1000).toFixed(1)); }
