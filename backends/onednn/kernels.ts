/**
 * TensorFlow.js kernels for the wasm backend that run convolutions on oneDNN, reading and writing the
 * tensors in the wasm heap in place (NHWC, filters `[kh, kw, in, out]`: no layout copies).
 *
 * `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput` (also `conv2dTranspose`'s forward),
 * `Conv2DBackpropFilter` (also `conv2dTranspose`'s filter gradient), `MaxPoolGrad`, `AvgPoolGrad`,
 * `Mean`/`Sum` over the pixels (axes 1 and 2, or 0–2 with a batch of one) of rank-4 tensors, `LeakyRelu`,
 * `Tanh`, the (leaky) ReLU gradient kernel that backends/gradients.ts calls when a backend has it,
 * `Concat`, `Slice` and `PadV2` as strided copies (copy_kernels.ts), and instance normalisation's
 * element-wise passes ({@link CHANNEL_AFFINE}).
 * Cases oneDNN does not cover here (NCHW, non-float32 tensors, `prelu` activation, non-per-channel
 * bias, padded average pooling, whose tfjs gradient counts the padding) go to the kernel that was
 * registered before.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { PrimitiveCache, PrimitiveSpec } from "./primitive_cache.ts";
import type { EltwiseSpec } from "./eltwise.ts";
import type { PoolSpec } from "./pool.ts";
import { poolGeometry, type PoolGradAttrs } from "../wasm/pool_grad.ts";
import { LEAKY_RELU_GRAD } from "../gradients.ts";
import type { ConvActivation } from "./conv_desc.ts";
import { convSpecOf, nhwcConvInfo } from "./conv_spec.ts";
import { heapPointers, isWasmBackend, lendWorkspace, type WasmBackendLike } from "../wasm/heap.ts";
import { pixelReductionLayout } from "../wasm/pixel_reduce.ts";
import { elementCount } from "../../formats/ndarray.ts";
import {
  checkShape,
  delegateTo,
  type Fallback,
  floatsOn,
  fusedConv2dCall,
  type KernelArgs,
  type KernelFactory,
} from "../wasm/kernel_support.ts";
import { concat, padV2, slice } from "./copy_kernels.ts";
import { CHANNEL_AFFINE } from "../channel_affine.ts";

const delegate = delegateTo("onednn", "oneDNN");

/** The kernels this module provides, in registration order. */
export const ONEDNN_KERNEL_NAMES = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "MaxPoolGrad",
  "AvgPoolGrad",
  "Mean",
  "Sum",
  "LeakyRelu",
  LEAKY_RELU_GRAD,
  "Tanh",
  "Concat",
  "Slice",
  "PadV2",
  CHANNEL_AFFINE,
] as const;

/** A kernel name this module provides. */
export type OneDnnKernelName = typeof ONEDNN_KERNEL_NAMES[number];

const FUSED_ACTIVATIONS: ReadonlySet<string> = new Set<ConvActivation>([
  "linear",
  "relu",
  "relu6",
  "leakyrelu",
  "elu",
  "sigmoid",
]);

/**
 * Allocates the output (and the primitive's workspace, freed after the call) and runs the primitive
 * on heap pointers taken after the allocations. A convolution's `filter` is named so that the
 * primitive can keep its reordered copy for the calls that come back with the same tensor.
 */
function run(
  backend: WasmBackendLike,
  cache: PrimitiveCache,
  spec: PrimitiveSpec,
  outShape: number[],
  inputs: readonly tf.TensorInfo[],
  filter?: tf.TensorInfo,
): tf.TensorInfo {
  const out = backend.makeOutput(outShape, "float32");
  if (elementCount(outShape) === 0) return out;
  if (inputs.some((t) => elementCount(t.shape) === 0)) {
    // An empty reduction (0 input channels, or an empty batch for the filter gradient): all zeros.
    const offset = backend.dataIdMap.get(out.dataId)!.memoryOffset!;
    backend.wasm.HEAPU8.fill(0, offset, offset + elementCount(outShape) * 4);
    return out;
  }
  const primitive = cache.get(spec);
  const workspaceBytes = primitive.workspaceBytes ?? 0;
  const workspace = lendWorkspace(backend, workspaceBytes);
  try {
    const buffers = [...inputs.map((t) => t.dataId), out.dataId];
    const pointers = heapPointers(backend, workspace ? [...buffers, workspace.dataId] : buffers);
    primitive.execute(
      workspaceBytes > 0 && !workspace ? [...pointers, null] : pointers,
      filter && { id: filter.dataId, alive: (id) => backend.dataIdMap.has(id) },
    );
  } finally {
    if (workspace) backend.disposeData(workspace.dataId);
  }
  return out;
}

function dataFormatOf(attrs: { dataFormat?: string }): "channelsLast" | "channelsFirst" {
  return tf.backend_util.convertConv2DDataFormat((attrs.dataFormat ?? "NHWC") as "NHWC" | "NCHW");
}

function usable(backend: unknown, tensors: readonly tf.TensorInfo[], attrs: { dataFormat?: string }) {
  return isWasmBackend(backend) && dataFormatOf(attrs) === "channelsLast" &&
    tensors.every((t) => t.dtype === "float32");
}

function conv2d(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DAttrs;
    if (!usable(args.backend, [x, filter], attrs)) return delegate("Conv2D", fallback, args);
    const info = nhwcConvInfo(x.shape, filter.shape, attrs, attrs.dilations);
    const spec = convSpecOf("forward", info);
    return run(args.backend as WasmBackendLike, cache, spec, info.outShape, [x, filter], filter);
  };
}

function fusedConv2d(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, filter, bias, attrs, tensors, biasPerChannel } = fusedConv2dCall(args);
    const activation = attrs.activation ?? "linear";
    const supported = usable(args.backend, tensors, attrs) && FUSED_ACTIVATIONS.has(activation) &&
      biasPerChannel;
    if (!supported) return delegate("FusedConv2D", fallback, args);
    const info = nhwcConvInfo(x.shape, filter.shape, attrs, attrs.dilations);
    const spec = convSpecOf("forward", info, {
      bias: bias != null,
      activation: activation as ConvActivation,
      leakyreluAlpha: attrs.leakyreluAlpha ?? 0.2,
    });
    return run(args.backend as WasmBackendLike, cache, spec, info.outShape, tensors, filter);
  };
}

function conv2dBackpropInput(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (!usable(args.backend, [dy, filter], attrs)) return delegate("Conv2DBackpropInput", fallback, args);
    const info = nhwcConvInfo(attrs.inputShape, filter.shape, attrs);
    checkShape("onednn", "Conv2DBackpropInput", "dy", dy.shape, info.outShape);
    const spec = convSpecOf("backward_data", info);
    return run(args.backend as WasmBackendLike, cache, spec, [...attrs.inputShape], [dy, filter], filter);
  };
}

function conv2dBackpropFilter(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (!usable(args.backend, [x, dy], attrs)) return delegate("Conv2DBackpropFilter", fallback, args);
    const info = nhwcConvInfo(x.shape, attrs.filterShape, attrs);
    checkShape("onednn", "Conv2DBackpropFilter", "dy", dy.shape, info.outShape);
    const spec = convSpecOf("backward_weights", info);
    return run(args.backend as WasmBackendLike, cache, spec, [...attrs.filterShape], [x, dy]);
  };
}

/**
 * `MaxPoolGrad` or `AvgPoolGrad` on oneDNN. Padded average pooling goes back: tfjs's own gradient
 * spreads 1/(filter area) also over padded borders, oneDNN's would not.
 */
function poolGrad(kernel: "MaxPoolGrad" | "AvgPoolGrad") {
  return (cache: PrimitiveCache, fallback: Fallback | undefined) => (args: KernelArgs) => {
    const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const g = poolGeometry(input.shape, args.attrs as unknown as PoolGradAttrs);
    const max = kernel === "MaxPoolGrad";
    if (
      (!max && g.padTop + g.padBottom + g.padLeft + g.padRight > 0) || !usable(args.backend, [dy, input], {})
    ) {
      return delegate(kernel, fallback, args);
    }
    checkShape("onednn", kernel, "dy", dy.shape, [g.batch, g.outHeight, g.outWidth, g.channels]);
    const spec: PoolSpec = { kind: max ? "max_backward" : "avg_backward", ...g };
    return run(args.backend as WasmBackendLike, cache, spec, [...input.shape], max ? [input, dy] : [dy]);
  };
}

/** Pixel counts up to this are reduced in one pass (a float32 sum of 4096 terms stays within ~1e-7). */
const ONE_PASS_PIXELS = 4096;

/**
 * A block length that splits `pixels` into two passes of about √pixels terms each (the largest divisor
 * not above √pixels), or null when no divisor of at least 16 exists.
 */
export function pixelBlock(pixels: number): number | null {
  for (let b = Math.floor(Math.sqrt(pixels)); b >= 16; b--) {
    if (pixels % b === 0) return b;
  }
  return null;
}

/**
 * `Mean` or `Sum` over axes 1 and 2 of a float32 rank-4 tensor on oneDNN; anything else goes back.
 * oneDNN's pooling adds a window's values one after another in float32, so a large image is reduced in
 * two passes (blocks of about √pixels, then the blocks): at 2048×1024 one pass drifts by ~1e-3 relative
 * (the official 1024p generator's output then moves by up to 8 levels), two stay near 1e-7. A pixel
 * count with no usable divisor goes to the kernel registered before (float64 sums on wasm).
 */
function pixelReduction(kernel: "Mean" | "Sum") {
  return (cache: PrimitiveCache, fallback: Fallback | undefined) => (args: KernelArgs) => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const layout = pixelReductionLayout(x.shape, axis);
    if (layout === null || elementCount(x.shape) === 0 || !usable(args.backend, [x], {})) {
      return delegate(kernel, fallback, args);
    }
    const { batch, pixels, channels, overBatch } = layout;
    const block = pixels > ONE_PASS_PIXELS ? pixelBlock(pixels) : null;
    if (pixels > ONE_PASS_PIXELS && block === null) return delegate(kernel, fallback, args);
    const kind = kernel === "Mean" ? "reduce_mean" : "reduce_sum";
    const outShape = keepDims ? [batch, 1, 1, channels] : overBatch ? [channels] : [batch, channels];
    const backend = args.backend as WasmBackendLike;
    if (block === null) {
      return run(backend, cache, { kind, batch, height: x.shape[1], width: x.shape[2], channels }, outShape, [
        x,
      ]);
    }
    // [batch, pixels / block, block, channels] → per block, then over the blocks.
    const blocks = pixels / block;
    const partial = run(backend, cache, { kind, batch: batch * blocks, height: 1, width: block, channels }, [
      batch * blocks,
      channels,
    ], [x]);
    try {
      return run(backend, cache, { kind, batch, height: blocks, width: 1, channels }, outShape, [partial]);
    } finally {
      backend.disposeData(partial.dataId);
    }
  };
}

/**
 * `LeakyRelu` or `Tanh` of a float32 tensor on oneDNN. (Not `Relu`: memory-bound, and tfjs-backend-wasm's
 * runs at the same speed on one thread.)
 */
function forwardEltwise(kernel: "LeakyRelu" | "Tanh") {
  return (cache: PrimitiveCache, fallback: Fallback | undefined) => (args: KernelArgs) => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    if (elementCount(x.shape) === 0 || !usable(args.backend, [x], {})) {
      return delegate(kernel, fallback, args);
    }
    const length = elementCount(x.shape);
    const alpha = kernel === "LeakyRelu" ? (args.attrs as unknown as { alpha: number }).alpha : 0;
    const spec: EltwiseSpec = {
      kind: kernel === "Tanh" ? "tanh_forward" : "leakyrelu_forward",
      length,
      alpha,
    };
    return run(args.backend as WasmBackendLike, cache, spec, [...x.shape], [x]);
  };
}

function leakyReluGrad(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { dy, x } = args.inputs as unknown as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const { alpha } = args.attrs as unknown as { alpha: number };
    if (elementCount(x.shape) === 0 || !usable(args.backend, [dy, x], {})) {
      return delegate(LEAKY_RELU_GRAD, fallback, args);
    }
    checkShape("onednn", LEAKY_RELU_GRAD, "dy", dy.shape, x.shape);
    const spec = { kind: "leakyrelu_backward", length: elementCount(x.shape), alpha } as const;
    return run(args.backend as WasmBackendLike, cache, spec, [...x.shape], [x, dy]);
  };
}

/**
 * {@link CHANNEL_AFFINE} on oneDNN, one pass per sample (oneDNN's post-ops broadcast a per-channel
 * operand over a sample's pixels, not over a batch).
 */
function channelAffine(cache: PrimitiveCache, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, shift, minus, scale } = args.inputs as unknown as Record<string, tf.TensorInfo | undefined>;
    const { square } = args.attrs as unknown as { square: boolean };
    const operands = [shift, minus, scale].filter((t): t is tf.TensorInfo => t !== undefined);
    if (!x || x.shape.length !== 4 || !usable(args.backend, [x, ...operands], {})) {
      return delegate(CHANNEL_AFFINE, fallback, args);
    }
    const [batch, height, width, channels] = x.shape;
    const pixels = height * width;
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput([...x.shape], "float32");
    if (elementCount(x.shape) === 0) return out;
    const spec = {
      kind: "channel_affine",
      pixels,
      channels,
      shift: !!shift,
      minus: !!minus,
      scale: !!scale,
      square,
    } as const;
    const primitive = cache.get(spec);
    const pointers = heapPointers(backend, [x, ...operands, out].map((t) => t.dataId));
    const perSample = [
      pixels * channels,
      ...operands.map((t) => t === minus ? pixels * channels : channels),
      pixels * channels,
    ];
    for (let n = 0; n < batch; n++) {
      primitive.execute(
        pointers.map((p, i) => floatsOn(p, n * perSample[i])),
      );
    }
    return out;
  };
}

/** The kernel factories, by kernel name ({@link ONEDNN_KERNEL_NAMES}, registered in that order). */
export const ONEDNN_KERNELS: Readonly<Record<OneDnnKernelName, KernelFactory<PrimitiveCache>>> = {
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  MaxPoolGrad: poolGrad("MaxPoolGrad"),
  AvgPoolGrad: poolGrad("AvgPoolGrad"),
  Mean: pixelReduction("Mean"),
  Sum: pixelReduction("Sum"),
  LeakyRelu: forwardEltwise("LeakyRelu"),
  [LEAKY_RELU_GRAD]: leakyReluGrad,
  Tanh: forwardEltwise("Tanh"),
  Concat: concat,
  Slice: slice,
  PadV2: padV2,
  [CHANNEL_AFFINE]: channelAffine,
};
