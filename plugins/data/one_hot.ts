/**
 * One-hot encoding of class-id maps over `label_nc` channels (NHWC). Ids outside 0…label_nc-1 are an
 * error naming the file, each bad id and its pixel count, unless the user maps them to an ignore class
 * (`unknown_label`: a class id, or -1 for an all-zero vector).
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import { type Tensor4D, tf } from "../../backends/tf.ts";

/** How to treat ids outside 0…label_nc-1. */
export interface OneHotOptions {
  /** The label files of the batch, named in errors (one per batch item). */
  files?: readonly string[];
  /** null: error (default); -1: all-zero vector; 0…label_nc-1: count them as this class. */
  unknown_label?: number | null;
}

/**
 * Counts the ids outside 0…label_nc-1, per batch item.
 *
 * @param ids int32 [N, H, W, 1] values (from `label.data()`)
 * @param n batch size
 * @param labelNc number of classes
 * @returns per item, a map bad id → pixel count
 */
export function countBadIds(ids: Int32Array | Float32Array | Uint8Array, n: number, labelNc: number) {
  const per = ids.length / n;
  const out: Map<number, number>[] = [];
  for (let b = 0; b < n; b++) {
    const bad = new Map<number, number>();
    for (let i = b * per; i < (b + 1) * per; i++) {
      const v = ids[i];
      if (v < 0 || v >= labelNc) bad.set(v, (bad.get(v) ?? 0) + 1);
    }
    out.push(bad);
  }
  return out;
}

/**
 * One-hot encodes a label map.
 *
 * @param label int32 class ids [N, H, W, 1]
 * @param labelNc number of classes (channels of the result)
 * @param opts error naming and ignore-class mapping
 * @returns float32 [N, H, W, label_nc] (the caller owns it)
 * @throws {DataError} when ids fall outside 0…label_nc-1 and `unknown_label` is not set
 * @throws {RangeError} on a wrong `unknown_label` or label shape
 */
export async function oneHot(label: Tensor4D, labelNc: number, opts: OneHotOptions = {}): Promise<Tensor4D> {
  const [n, h, w, c] = label.shape;
  if (c !== 1) {
    throw new RangeError(
      `Cannot one-hot encode: label must be [N, H, W, 1]: current shape is [${label.shape}]`,
    );
  }
  const unknown = opts.unknown_label ?? null;
  if (unknown !== null && (unknown < -1 || unknown >= labelNc || !Number.isInteger(unknown))) {
    throw new RangeError(
      `Cannot one-hot encode: unknown_label must be -1 or a class id below ${labelNc}: current value is ${unknown}`,
    );
  }
  const ids = label.dtype === "int32" ? label : tf.cast(label, "int32");
  try {
    const bad = countBadIds(await ids.data() as Int32Array, n, labelNc);
    const anyBad = bad.some((m) => m.size > 0);
    if (anyBad && unknown === null) {
      const b = bad.findIndex((m) => m.size > 0);
      const list = [...bad[b].entries()].sort((x, y) => x[0] - y[0]).map(([id, px]) => `id ${id} (${px} px)`);
      throw new DataError(
        opts.files?.[b] ?? "label map",
        `has ${list.join(", ")} outside 0…${labelNc - 1} (label_nc ${labelNc}): raise label_nc to ` +
          `${Math.max(...bad[b].keys()) + 1} or map them to a class with unknown_label`,
      );
    }
    return tf.tidy(() => {
      let flat = tf.reshape(ids, [n * h * w]);
      if (anyBad) {
        const outside = tf.logicalOr(tf.less(flat, 0), tf.greaterEqual(flat, labelNc));
        flat = tf.where(outside, tf.fill([n * h * w], unknown!, "int32"), flat);
      }
      return tf.reshape(tf.cast(tf.oneHot(flat, labelNc), "float32"), [n, h, w, labelNc]);
    });
  } finally {
    if (ids !== label) ids.dispose();
  }
}
