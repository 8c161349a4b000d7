/**
 * TensorFlow.js kernels for the wasm backend that run convolutions on onnxruntime's CPU library:
 * `Conv2D`, `FusedConv2D` (bias and a linear, ReLU, leaky ReLU, sigmoid or ELU activation),
 * `Conv2DBackpropInput` (also `conv2dTranspose`'s forward) and `Conv2DBackpropFilter`. Each runs one
 * pass's session (conv_graphs.ts) on pointers to the tensors in the wasm heap, so nothing is copied;
 * the filter is permuted to the layout the pass takes (filter_layout.ts) unless it takes TensorFlow.js's
 * own. Other cases (NCHW, non-float32, `prelu`/`relu6`, a bias that is not per channel, empty
 * tensors, an input gradient whose output padding ConvTranspose refuses) go to the kernel that was
 * registered before.
 *
 * @module
 */
import type { tf } from "../tf.ts";
import { elementCount } from "../../formats/ndarray.ts";
import { heapFloats, heapPointers, isWasmBackend, type WasmBackendLike } from "../wasm/heap.ts";
import {
  checkShape,
  delegateTo,
  type Fallback,
  fusedConv2dCall,
  type KernelArgs,
  type KernelFactory,
} from "../wasm/kernel_support.ts";
import { convSpecOf, nhwcConvInfo } from "../onednn/conv_spec.ts";
import {
  type ConvGeometry,
  type ConvPass,
  filterLayout,
  type ForwardExtras,
  ORT_ACTIVATIONS,
  type OrtActivation,
  outputPadding,
  PASS_OUTPUT,
  passInputs,
  passShapes,
} from "./conv_graphs.ts";
import type { ConvSessions } from "./sessions.ts";
import type { FilterLayouts } from "./filter_layout.ts";

/** The kernels this module provides. */
export const ORT_KERNEL_NAMES = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
] as const;

/** A kernel name this module provides. */
export type OrtKernelName = typeof ORT_KERNEL_NAMES[number];

/** What the kernels share: the sessions and the permuted filters. */
export interface OrtKernelState {
  sessions: ConvSessions;
  /** Filters in ONNX's layout. */
  filters: FilterLayouts;
  /** Adjoint filters, for stride-1 input gradients. */
  adjoints: FilterLayouts;
}

const delegate = delegateTo("ort", "onnxruntime");

function usable(backend: unknown, tensors: readonly tf.TensorInfo[], attrs: { dataFormat?: string }) {
  return isWasmBackend(backend) && (attrs.dataFormat ?? "NHWC") === "NHWC" &&
    tensors.every((t) => t.dtype === "float32" && elementCount(t.shape) > 0);
}

/**
 * A pass's geometry, or null when onnxruntime's output size would differ from TensorFlow.js's (a
 * padding that TensorFlow.js's rounding leaves negative on the far side).
 */
function geometryOf(info: tf.backend_util.Conv2DInfo): ConvGeometry | null {
  const { kind: _kind, bias: _bias, activation: _activation, leakyreluAlpha: _alpha, ...g } = convSpecOf(
    "forward",
    info,
  );
  return g.padBottom >= 0 && g.padRight >= 0 ? g : null;
}

/**
 * Runs one pass: allocates the output, permutes the filter (or finds it kept), then takes the heap
 * pointers (after the allocation, which may grow the heap) and runs the session on them.
 */
function runPass(
  state: OrtKernelState,
  backend: WasmBackendLike,
  pass: ConvPass,
  g: ConvGeometry,
  inputs: Record<string, tf.TensorInfo>,
  filter: tf.TensorInfo | null,
  extras?: ForwardExtras,
): tf.TensorInfo {
  const session = state.sessions.get(pass, g, extras);
  const out = backend.makeOutput(passShapes(pass, g, extras?.bias)[PASS_OUTPUT[pass]], "float32");
  const layout = filter ? filterLayout(pass, g) : "tfjs";
  const permuted = filter && layout !== "tfjs"
    ? (layout === "adjoint" ? state.adjoints : state.filters).get(
      filter.dataId,
      () => heapFloats(backend, filter),
      filter.shape,
      (id) => backend.dataIdMap.has(id),
    )
    : null;
  const names = passInputs(pass, extras?.bias);
  const tensors = names.map((n) => n === "w" ? filter! : inputs[n]);
  const [outPointer, ...pointers] = heapPointers(
    backend,
    [out, ...tensors.filter((_t, i) => !(permuted && names[i] === "w"))].map((t) => t.dataId),
  );
  const ordered = names.map((n) =>
    permuted && n === "w" ? Deno.UnsafePointer.of(permuted) : pointers.shift()!
  );
  session.run(ordered, [outPointer]);
  return out;
}

function conv2d(state: OrtKernelState, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DAttrs;
    const g = usable(args.backend, [x, filter], attrs) &&
      geometryOf(nhwcConvInfo(x.shape, filter.shape, attrs, attrs.dilations));
    if (!g) return delegate("Conv2D", fallback, args);
    return runPass(state, args.backend as WasmBackendLike, "forward", g, { x }, filter, {
      bias: false,
      activation: "linear",
      leakyreluAlpha: 0,
    });
  };
}

function fusedConv2d(state: OrtKernelState, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, filter, bias, attrs, tensors, biasPerChannel } = fusedConv2dCall(args);
    const activation = attrs.activation ?? "linear";
    const supported = usable(args.backend, tensors, attrs) &&
      (ORT_ACTIVATIONS as readonly string[]).includes(activation) && biasPerChannel;
    const g = supported && geometryOf(nhwcConvInfo(x.shape, filter.shape, attrs, attrs.dilations));
    if (!g) return delegate("FusedConv2D", fallback, args);
    return runPass(
      state,
      args.backend as WasmBackendLike,
      "forward",
      g,
      bias ? { x, b: bias } : { x },
      filter,
      {
        bias: bias != null,
        activation: activation as OrtActivation,
        leakyreluAlpha: attrs.leakyreluAlpha ?? 0.2,
      },
    );
  };
}

function conv2dBackpropInput(state: OrtKernelState, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (!usable(args.backend, [dy, filter], attrs) || elementCount(attrs.inputShape) === 0) {
      return delegate("Conv2DBackpropInput", fallback, args);
    }
    const info = nhwcConvInfo(attrs.inputShape, filter.shape, attrs);
    checkShape("ort", "Conv2DBackpropInput", "dy", dy.shape, info.outShape);
    const g = geometryOf(info);
    // ConvTranspose takes an output padding below the stride (or dilation) only
    const fits = (pad: number, stride: number, dilation: number) =>
      pad >= 0 && pad < Math.max(stride, dilation);
    const [rows, columns] = g ? outputPadding(g) : [-1, -1];
    if (
      !g || !fits(rows, g.strideHeight, g.dilationHeight) || !fits(columns, g.strideWidth, g.dilationWidth)
    ) {
      return delegate("Conv2DBackpropInput", fallback, args);
    }
    return runPass(state, args.backend as WasmBackendLike, "backward_data", g, { dy }, filter);
  };
}

function conv2dBackpropFilter(state: OrtKernelState, fallback: Fallback | undefined) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (!usable(args.backend, [x, dy], attrs) || elementCount(attrs.filterShape) === 0) {
      return delegate("Conv2DBackpropFilter", fallback, args);
    }
    const info = nhwcConvInfo(x.shape, attrs.filterShape, attrs);
    checkShape("ort", "Conv2DBackpropFilter", "dy", dy.shape, info.outShape);
    const g = geometryOf(info);
    if (!g) return delegate("Conv2DBackpropFilter", fallback, args);
    return runPass(state, args.backend as WasmBackendLike, "backward_filter", g, { x, dy }, null);
  };
}

/** The kernel factories, by kernel name ({@link ORT_KERNEL_NAMES}). */
export const ORT_KERNELS: Readonly<Record<OrtKernelName, KernelFactory<OrtKernelState>>> = {
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
};
