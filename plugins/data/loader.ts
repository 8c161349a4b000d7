/**
 * Batches of samples, for training's data path: a batch is a sample whose tensors are the items'
 * tensors concatenated on axis 0 and whose other fields (name, paths, plan) are arrays with one value
 * per item. Reading ahead happens in the source (workers, see prefetch.ts).
 *
 * @module
 */
import type { Sample } from "../../kernel/plugin.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { tf } from "../../backends/tf.ts";

/**
 * Stacks samples into one batch sample; the items' tensors are disposed.
 *
 * @param items samples with the same fields and tensor shapes (but the batch axis)
 * @returns the batch (the caller owns its tensors)
 * @throws {RangeError} when the items' tensors do not have the same sizes
 */
export function stackSamples(items: Sample[]): Sample {
  const batch: Sample = {};
  try {
    for (const key of Object.keys(items[0])) {
      const values = items.map((s) => s[key]);
      if (values[0] instanceof tf.Tensor) {
        const shapes = values.map((v) => (v as tf.Tensor).shape.slice(1).join("×"));
        if (new Set(shapes).size > 1) {
          throw new RangeError(
            `Cannot batch samples ${items.map((s) => s.name).join(", ")}: "${key}" sizes differ (${
              shapes.join(", ")
            }); use a resize_or_crop that gives one size, or batchSize 1`,
          );
        }
        batch[key] = values.length === 1 ? values[0] : tf.concat(values as tf.Tensor[], 0);
      } else batch[key] = values;
    }
  } catch (error) {
    disposeAll(Object.values(batch).filter((v) => !items.some((s) => Object.values(s).includes(v))));
    throw error;
  }
  for (const s of items) {
    for (const v of Object.values(s)) {
      if (v instanceof tf.Tensor && !Object.values(batch).includes(v)) v.dispose();
    }
  }
  return batch;
}
