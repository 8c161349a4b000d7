/**
 * Running exported ONNX models in onnxruntime-node (CPU) for the export tests, and the tfjs side of
 * the comparison in NCHW.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { tf } from "../../../backends/tf.ts";

/** An NCHW float32 array. */
export interface Nchw {
  data: Float32Array;
  dims: number[];
}

/**
 * Runs a model once.
 *
 * @param model the `.onnx` bytes
 * @param feeds input name → NCHW array
 * @returns output name → NCHW array
 */
export async function runOnnx(model: Uint8Array, feeds: Record<string, Nchw>): Promise<Record<string, Nchw>> {
  const session = await ort.InferenceSession.create(model);
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, { data, dims }] of Object.entries(feeds)) {
      inputs[name] = new ort.Tensor("float32", data, dims);
    }
    const outputs = await session.run(inputs);
    const out: Record<string, Nchw> = {};
    for (const [name, t] of Object.entries(outputs)) {
      out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * The input and output shapes a model declares (numbers, or names of dynamic axes).
 *
 * @param model the `.onnx` bytes
 * @returns names → shapes
 */
export async function declaredShapes(
  model: Uint8Array,
): Promise<Record<string, readonly (number | string)[]>> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out: Record<string, readonly (number | string)[]> = {};
    for (const m of [...session.inputMetadata, ...session.outputMetadata]) {
      if (m.isTensor) out[m.name] = m.shape;
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * An NHWC tensor's values as NCHW.
 *
 * @param x NHWC tensor
 * @returns its values transposed to NCHW
 */
export function toNchw(x: tf.Tensor4D): Nchw {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => ({
    data: tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array,
    dims: [n, c, h, w],
  }));
}

/**
 * The largest absolute difference between two arrays of the same shape.
 *
 * @param a values
 * @param b expected values
 * @returns max |a − b|; Infinity when the shapes differ or a value is NaN
 */
export function maxDiff(a: Nchw, b: Nchw): number {
  if (a.dims.join() !== b.dims.join()) return Infinity;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}
