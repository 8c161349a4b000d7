/**
 * `Concat`, `Slice` and `PadV2` (constant padding) for float32 tensors of the wasm backend as strided
 * copies on oneDNN (copy.ts), in place in the wasm heap. Small tensors, other dtypes, and slices that
 * are one contiguous run (tfjs-backend-wasm copies those with one `set`) go to the kernel registered
 * before.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { denseStrides, elementCount } from "../../formats/ndarray.ts";
import type { CopySpec } from "./copy.ts";
import { delegateTo, type Fallback, floatsOn, type KernelArgs } from "../wasm/kernel_support.ts";
import type { PrimitiveCache } from "./primitive_cache.ts";
import { heapPointers, isWasmBackend, type WasmBackendLike } from "../wasm/heap.ts";

const delegate = delegateTo("onednn", "oneDNN");

/** Outputs smaller than this (elements) are copied by the kernel registered before: a call costs more. */
export const MIN_COPY_ELEMENTS = 32768;

function copySpec(dims: readonly number[], srcStrides: number[], dstStrides: number[]): CopySpec {
  return { kind: "strided_copy", dims: [...dims], srcStrides, dstStrides };
}

function offsetOf(position: readonly number[], strides: readonly number[]): number {
  return position.reduce((sum, p, i) => sum + p * strides[i], 0);
}

function float32On(backend: unknown, tensors: readonly tf.TensorInfo[]): backend is WasmBackendLike {
  return isWasmBackend(backend) && tensors.every((t) => t.dtype === "float32");
}

/**
 * `Concat` on oneDNN: each input copied into its range of the output along the axis.
 *
 * @param cache the primitive cache
 * @param fallback the kernel registered before
 * @returns the kernel function
 */
export function concat(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend;
    if (inputs.length < 2 || !float32On(backend, inputs)) return delegate("Concat", fallback, args);
    const shapes = inputs.map((t) => t.shape);
    const { axis } = args.attrs as unknown as { axis: number | number[] };
    const $axis = tf.util.parseAxisParam(axis, shapes[0])[0];
    tf.backend_util.assertParamsConsistent(shapes, $axis);
    const outShape = tf.backend_util.computeOutShape(shapes, $axis);
    if (elementCount(outShape) < MIN_COPY_ELEMENTS) return delegate("Concat", fallback, args);
    const out = backend.makeOutput(outShape, "float32");
    // pointers after the allocation: the heap may have grown (and moved) for it
    const pointers = heapPointers(backend, [...inputs.map((t) => t.dataId), out.dataId]);
    const outStrides = denseStrides(outShape);
    let start = 0;
    inputs.forEach((t, i) => {
      if (elementCount(t.shape) > 0) {
        const spec = copySpec(t.shape, denseStrides(t.shape), outStrides);
        cache.get(spec).execute([pointers[i], floatsOn(pointers[inputs.length], start * outStrides[$axis])]);
      }
      start += t.shape[$axis];
    });
    return out;
  };
}

/**
 * `Slice` on oneDNN: the window read with the input's strides into a dense output.
 *
 * @param cache the primitive cache
 * @param fallback the kernel registered before
 * @returns the kernel function
 */
export function slice(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const backend = args.backend;
    if (!float32On(backend, [x])) return delegate("Slice", fallback, args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [$begin, $size] = tf.slice_util.parseSliceParams(x, begin, size);
    tf.slice_util.assertParamsValid(x, $begin, $size);
    if (
      elementCount($size) < MIN_COPY_ELEMENTS || tf.slice_util.isSliceContinous(x.shape, $begin, $size)
    ) {
      return delegate("Slice", fallback, args);
    }
    const out = backend.makeOutput($size, "float32");
    const [xPointer, outPointer] = heapPointers(backend, [x.dataId, out.dataId]);
    const strides = denseStrides(x.shape);
    cache.get(copySpec($size, strides, denseStrides($size))).execute([
      floatsOn(xPointer, offsetOf($begin, strides)),
      outPointer,
    ]);
    return out;
  };
}

/**
 * `PadV2` on oneDNN: the output filled with the constant, then the input copied into its interior.
 *
 * @param cache the primitive cache
 * @param fallback the kernel registered before
 * @returns the kernel function
 */
export function padV2(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const backend = args.backend;
    const { paddings, constantValue } = args.attrs as unknown as {
      paddings: [number, number][];
      constantValue: number;
    };
    if (!float32On(backend, [x]) || paddings.length !== x.shape.length) {
      return delegate("PadV2", fallback, args);
    }
    const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
    if (elementCount(outShape) < MIN_COPY_ELEMENTS) return delegate("PadV2", fallback, args);
    const out = backend.makeOutput(outShape, "float32");
    const offset = backend.dataIdMap.get(out.dataId)!.memoryOffset!;
    new Float32Array(backend.wasm.HEAPU8.buffer, offset, elementCount(outShape)).fill(constantValue);
    if (elementCount(x.shape) === 0) return out;
    const [xPointer, outPointer] = heapPointers(backend, [x.dataId, out.dataId]);
    const outStrides = denseStrides(outShape);
    cache.get(copySpec(x.shape, denseStrides(x.shape), outStrides)).execute([
      xPointer,
      floatsOn(outPointer, offsetOf(paddings.map(([before]) => before), outStrides)),
    ]);
    return out;
  };
}
