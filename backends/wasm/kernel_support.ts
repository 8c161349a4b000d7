/**
 * What our native kernel modules (oneDNN's, onnxruntime's) share: the kernel function's argument type,
 * the kernel registered before (the fallback for cases they do not cover) and the hand-back to it,
 * shape checks and pointer offsets.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { tf } from "../tf.ts";
import { elementCount } from "../../formats/ndarray.ts";

/** A kernel function's argument. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The kernel that was registered before ours, called for the cases we hand back. */
export type Fallback = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** Runs the kernel registered before ours, or says why none can run. */
export type Delegate = (
  kernel: string,
  fallback: Fallback | undefined,
  args: KernelArgs,
) => tf.TensorInfo | tf.TensorInfo[];

/**
 * The hand-back of one of our backends: it runs the kernel registered before ours, and where none is
 * registered it throws a {@link BackendError} naming the kernel, the library and what the library needs.
 *
 * @param backend our backend's name (`onednn`, `ort`)
 * @param library the library's name in the error (`oneDNN`, `onnxruntime`)
 * @returns the backend's {@link Delegate}
 */
export function delegateTo(backend: string, library: string): Delegate {
  return (kernel, fallback, args) => {
    if (fallback) return fallback(args);
    throw new BackendError(
      backend,
      `${kernel} on ${library} needs float32 NHWC tensors on the wasm backend, and no other ${kernel} kernel ` +
        `is registered for backend "${tf.getBackend()}"`,
    );
  };
}

/** A FusedConv2D call's inputs and attributes. */
export interface FusedConv2dCall {
  x: tf.TensorInfo;
  filter: tf.TensorInfo;
  bias?: tf.TensorInfo;
  attrs: tf.FusedConv2DAttrs;
  /** The call's tensors: `[x, filter]`, and the bias where there is one. */
  tensors: tf.TensorInfo[];
  /** Whether the bias is absent or one value per output channel (the only bias our kernels add). */
  biasPerChannel: boolean;
}

/**
 * Reads a FusedConv2D call.
 *
 * @param args the kernel's argument
 * @returns its inputs, attributes and whether its bias is per channel
 */
export function fusedConv2dCall(args: KernelArgs): FusedConv2dCall {
  const { x, filter, bias } = args.inputs as unknown as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
    bias?: tf.TensorInfo;
  };
  const outChannels = filter.shape[3];
  const biasPerChannel = bias == null ||
    (elementCount(bias.shape) === outChannels && bias.shape.at(-1) === outChannels);
  return {
    x,
    filter,
    bias,
    attrs: args.attrs as unknown as tf.FusedConv2DAttrs,
    tensors: bias ? [x, filter, bias] : [x, filter],
    biasPerChannel,
  };
}

/**
 * A pointer advanced by a number of float32 values.
 *
 * @param pointer a buffer's address
 * @param elements float32 values to skip
 * @returns the address `4 · elements` bytes on
 */
export function floatsOn(pointer: Deno.PointerValue, elements: number): Deno.PointerValue {
  return elements === 0 ? pointer : Deno.UnsafePointer.offset(pointer as Deno.PointerObject, 4 * elements);
}

/**
 * Checks that a gradient kernel's input has the shape its output implies.
 *
 * @param backend our backend's name, for the error
 * @param kernel the kernel name
 * @param name the input's name
 * @param actual its shape
 * @param expected the shape it must have
 * @throws {BackendError} naming the kernel and both shapes when they differ
 */
export function checkShape(
  backend: string,
  kernel: string,
  name: string,
  actual: readonly number[],
  expected: readonly number[],
): void {
  if (actual.length !== expected.length || actual.some((v, i) => v !== expected[i])) {
    throw new BackendError(
      backend,
      `${kernel}: ${name} has shape [${actual}] but its output is [${expected}]`,
    );
  }
}

/** Makes a kernel function from shared state and the kernel registered before (its fallback). */
export type KernelFactory<S> = (state: S, fallback: Fallback | undefined) => Fallback;

/**
 * Registers kernels on the wasm backend over whatever was registered for their names. Each keeps the
 * config it replaces as its fallback, and that config's `setupFunc` and `disposeFunc`, so the replaced
 * kernel stays usable for the cases handed back.
 *
 * @param factories one kernel factory per kernel name
 * @param state what the kernels share
 * @returns the configs replaced, by name, for {@link restoreWasmKernels}
 */
export function replaceWasmKernels<S>(
  factories: Readonly<Record<string, KernelFactory<S>>>,
  state: S,
): Map<string, tf.KernelConfig> {
  const previous = new Map<string, tf.KernelConfig>();
  for (const [kernelName, factory] of Object.entries(factories)) {
    const before = tf.getKernel(kernelName, "wasm");
    if (before) {
      previous.set(kernelName, before);
      tf.unregisterKernel(kernelName, "wasm");
    }
    const fallback = before ? (args: KernelArgs) => before.kernelFunc(args) : undefined;
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: factory(state, fallback) as tf.KernelFunc,
      setupFunc: before?.setupFunc,
      disposeFunc: before?.disposeFunc,
    });
  }
  return previous;
}

/**
 * Unregisters kernels registered by {@link replaceWasmKernels} and registers the ones they replaced.
 *
 * @param names the kernel names
 * @param previous what {@link replaceWasmKernels} returned
 */
export function restoreWasmKernels(
  names: readonly string[],
  previous: ReadonlyMap<string, tf.KernelConfig>,
): void {
  for (const name of names) {
    tf.unregisterKernel(name, "wasm");
    const config = previous.get(name);
    if (config) tf.registerKernel(config);
  }
}
