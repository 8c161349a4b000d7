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
s.step({ input, image });
const prof = await tf.profile(() => { s.step({ input, image }); });
const by = new Map<string, [number, number]>();
for (const k of prof.kernels) { const e = by.get(k.name) ?? [0, 0]; e[0] += k.kernelTimeMs as number; e[1]++; by.set(k.name, e); }
console.log([...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15).map(([k, [t, n]]) => `${k} ${t.toFixed(0)}ms x${n}`).join("\n"));
console.log("kernels", prof.kernels.length);
let t0 = performance.now(); const f = s.models.G.apply(input); f.dispose(); console.log("G fwd", performance.now() - t0);
