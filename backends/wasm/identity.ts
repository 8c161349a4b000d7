/**
 * A zero-copy `Identity` for the wasm backend. tfjs's engine clones every tensor it saves for the
 * backward pass through `Identity` (over a thousand per pix2pixHD training step), and tfjs-backend-wasm
 * copies the data each time; the cpu backend instead shares it with a reference count, which is what
 * this kernel does too. Kernels never write into their inputs, so sharing is safe (wasm's own `Reshape`
 * shares data the same way).
 *
 * @module
 */
import type { tf } from "../tfjs.ts";

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/** The kernel config that replaces tfjs-backend-wasm's copying `Identity`. */
export const identityConfig: tf.KernelConfig = {
  kernelName: "Identity",
  backendName: "wasm",
  kernelFunc: ({ inputs, backend }) => {
    const x = (inputs as { x: tf.TensorInfo }).x;
    (backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  },
};
