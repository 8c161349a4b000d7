/**
 * Instance-wise average pooling (the end of the official `Encoder.forward`): every pixel of an
 * instance gets the mean of the features over that instance, per sample and channel. Vectorised over
 * all instances at once: instance ids become segment indices 0…K-1 (per sample), the segments are
 * summed in float64, one gather paints the means back. The pooling is a symmetric linear map, so its
 * gradient is the same pooling of the incoming gradient (no UnsortedSegmentSum kernel needed, which
 * the wasm backend lacks).
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";

/** Segment index of every pixel and pixel count of every segment. */
interface Segments {
  ids: Int32Array;
  counts: Float32Array;
}

function segmentsOf(inst: tf.Tensor4D): Segments {
  const [b, h, w] = inst.shape;
  let values: ArrayLike<number>;
  try {
    values = inst.dataSync();
  } catch (error) {
    throw new RangeError(
      `instance map cannot be read synchronously on the ${tf.getBackend()} backend (${
        (error as Error).message
      }): ` +
        `pass the map as decoded (a tensor made from its pixel data), not the result of GPU ops`,
    );
  }
  const ids = new Int32Array(values.length);
  const counts: number[] = [];
  const perSample = h * w;
  for (let s = 0; s < b; s++) {
    const index = new Map<number, number>();
    for (let i = s * perSample; i < (s + 1) * perSample; i++) {
      let k = index.get(values[i]);
      if (k === undefined) {
        k = counts.length;
        index.set(values[i], k);
        counts.push(0);
      }
      ids[i] = k;
      counts[k]++;
    }
  }
  return { ids, counts: Float32Array.from(counts) };
}

/**
 * Each segment's mean, `[k, c]`. Summed in float64 where the values can be read synchronously (a road
 * covers a million pixels at 2048×1024, past what a float32 running sum keeps exact); elsewhere
 * (webgpu) by a scatter-add on the device.
 */
function segmentMeans(x: tf.Tensor, seg: Segments): tf.Tensor2D {
  const n = seg.ids.length, k = seg.counts.length, c = x.shape[3] as number;
  let values: ArrayLike<number>;
  try {
    values = x.dataSync();
  } catch {
    const sums = tf.scatterND(tf.tensor2d(seg.ids, [n, 1], "int32"), tf.reshape(x, [n, c]), [k, c]);
    return tf.div(sums, tf.tensor2d(seg.counts, [k, 1]));
  }
  const sums = new Float64Array(k * c);
  for (let i = 0; i < n; i++) {
    const to = seg.ids[i] * c, from = i * c;
    for (let j = 0; j < c; j++) sums[to + j] += values[from + j];
  }
  const means = new Float32Array(k * c);
  for (let i = 0; i < k * c; i++) means[i] = sums[i] / seg.counts[Math.floor(i / c)];
  return tf.tensor2d(means, [k, c]);
}

function poolWith(x: tf.Tensor, seg: Segments): tf.Tensor {
  return tf.tidy(() => tf.reshape(tf.gather(segmentMeans(x, seg), tf.tensor1d(seg.ids, "int32")), x.shape));
}

/**
 * Replaces every feature by its mean over the instance it belongs to.
 *
 * @param features NHWC features [batch, h, w, c]
 * @param inst NHWC instance ids [batch, h, w, 1] (int32 or float; equal ids = one instance per sample);
 *   read on the CPU, so on webgpu it must be CPU-resident (made from pixel data, as decoded maps are)
 * @returns the pooled features, same shape; differentiable with respect to `features`
 * @throws {RangeError} when the instance map's batch, height or width differs from the features', or
 *   when it cannot be read synchronously
 */
export function instanceMeans(features: tf.Tensor4D, inst: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w] = features.shape;
  if (
    inst.rank !== 4 || inst.shape[0] !== b || inst.shape[1] !== h || inst.shape[2] !== w ||
    inst.shape[3] !== 1
  ) {
    throw new RangeError(
      `instance map of shape [${inst.shape.join(", ")}] does not match features [${
        features.shape.join(", ")
      }]: ` +
        `expected [${b}, ${h}, ${w}, 1]`,
    );
  }
  const seg = segmentsOf(inst);
  const op = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => ({
    value: poolWith(x as tf.Tensor, seg),
    gradFunc: (dy: tf.Tensor) => poolWith(dy, seg),
  }));
  return op(features) as tf.Tensor4D;
}
