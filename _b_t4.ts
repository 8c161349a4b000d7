import { tf } from "./kernel/tf.ts";
import { alignedDataset } from "./plugins/data/datasets/aligned.ts";
import { resolveOptions } from "./kernel/options.ts";
import { log } from "./kernel/log.ts";
await tf.ready();
const opts = resolveOptions("aligned", alignedDataset.schema, { dataroot: "/work/shared/data/cityscapes-sample", max_dataset_size: 4, prefetch: Number(Deno.args[0] ?? 2) });
const src = alignedDataset.create(opts, { backend: tf.getBackend(), log });
const t = performance.now();
for await (const s of src.samples({ backend: tf.getBackend(), log })) {
  const l = s.label as tf.Tensor, i = s.inst as tf.Tensor, im = s.image as tf.Tensor;
  console.log(s.name, l.shape, i.shape, im.shape, (await tf.max(i).data())[0], JSON.stringify((s.plan as any).flip), (performance.now()-t).toFixed(0));
  tf.dispose([l, i, im]);
}
console.log(tf.memory().numTensors);
