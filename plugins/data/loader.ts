/**
 * The loader: batches of samples from a source stage, each batch passed through transform stages.
 * Reading ahead happens in the source (workers, see prefetch.ts), so while the model computes on one
 * batch the next ones are being decoded. Works on any `SourceStage`, and yields `Sample`s, so it
 * composes with the kernel's pipeline.
 *
 * A batch is a sample whose tensors are the items' tensors concatenated on axis 0 and whose other
 * fields (name, paths, plan) are arrays with one value per item.
 *
 * @module
 */
import type { KernelContext, Sample, SourceStage, TransformStage } from "../../kernel/plugin.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { tf } from "../../kernel/tf.ts";

/** How the loader groups and encodes samples. */
export interface LoaderOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Transforms applied to every batch, in order (e.g. boundaries, one-hot, generator-input). */
  transforms?: readonly TransformStage[];
}

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

/**
 * One epoch of batches.
 *
 * @param source the samples (a dataset's source stage)
 * @param ctx the kernel context passed to stages
 * @param opts batch size and transforms
 * @returns the batches; the consumer owns (and disposes) each batch's tensors
 * @throws {DataError} from reading or encoding a sample
 */
export async function* loadEpoch(
  source: SourceStage,
  ctx: KernelContext,
  opts: LoaderOptions,
): AsyncGenerator<Sample> {
  let pending: Sample[] = [];
  const emit = async (items: Sample[]): Promise<Sample> => {
    let batch = stackSamples(items);
    try {
      for (const t of opts.transforms ?? []) batch = await t.apply(batch, ctx);
    } catch (error) {
      disposeAll(batch);
      throw error;
    }
    return batch;
  };
  try {
    for await (const sample of source.samples(ctx)) {
      pending.push(sample);
      if (pending.length === opts.batchSize) {
        const items = pending;
        pending = [];
        yield await emit(items);
      }
    }
    if (pending.length > 0) {
      const items = pending;
      pending = [];
      yield await emit(items);
    }
  } finally {
    disposeAll(pending);
  }
}
