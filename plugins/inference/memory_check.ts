/**
 * Whether a generator's forward pass fits the wasm heap, checked before it starts: the heap addresses
 * 4 GiB at most, and a run that outgrows it dies inside tfjs-backend-wasm (an abort, or "memory access
 * out of bounds"). The estimate counts what is live (weights, the input), the copies XNNPACK packs of
 * every filter on the plain wasm backend (oneDNN reads the filters in place), and the activations at
 * full resolution: the padded input, and a convolution's output with instance norm's and ReLU's
 * results beside it. Calibrated on the official 1024p generator (0.68 GiB of weights): on oneDNN at
 * 2048×1024 the heap reached 2.82 GiB (estimate 2.85); on plain wasm at 1024×512 2.68 GiB (estimate
 * 2.59), and at 2048×1024 (estimate 5.3) it ran out. Other backends keep their tensors outside a wasm
 * heap and are not checked.
 *
 * @module
 */
import { activeBackendName } from "../../backends/select.ts";
import { BackendError } from "../../kernel/errors.ts";
import { tf } from "../../backends/tf.ts";

/** What tfjs-backend-wasm's heap can address. */
export const WASM_HEAP_BYTES = 4294901760;
/** The share of the heap a run may plan on (the allocator fragments the rest between large blocks). */
const USABLE = 0.85;
/** Full-resolution activations of `fullResChannels` channels live at once at the peak (conv, norm, ReLU). */
const LIVE_ACTIVATIONS = 5;
/** Per backend: heap per byte of weights packed by XNNPACK, and per byte of activations (the allocator's slack). */
const OVERHEAD = {
  wasm: { filters: 1.5, activations: 2 },
  onednn: { filters: 0, activations: 1.15 },
} as const;

/** A forward pass to check. */
export interface ForwardPlan {
  /** Input `[N, H, W, C]`. */
  inputShape: readonly number[];
  /** Channels of the first layer's output at full resolution (ngf). */
  fullResChannels: number;
  /** Bytes of the generator's parameters. */
  weightBytes: number;
}

/**
 * Estimates a forward pass's peak heap use on a backend.
 *
 * @param plan the input, the width at full resolution, the weights
 * @param backend "wasm" (XNNPACK packs a copy of every filter) or "onednn"
 * @param liveBytes bytes of tensors live before the pass (weights, input: `tf.memory().numBytes`)
 * @returns bytes
 */
export function forwardHeapBytes(plan: ForwardPlan, backend: "wasm" | "onednn", liveBytes: number): number {
  const [n, h, w, c] = plan.inputShape;
  const pixels = n * h * w;
  const activations = pixels * 4 * (c + LIVE_ACTIVATIONS * plan.fullResChannels);
  return liveBytes + OVERHEAD[backend].filters * plan.weightBytes +
    OVERHEAD[backend].activations * activations;
}

/**
 * Stops before a forward pass that would outgrow the wasm heap, with one line saying how much it
 * needs and what can run it.
 *
 * @param plan the input, the width at full resolution, the weights
 * @throws {BackendError} on wasm or oneDNN when the estimate exceeds the usable heap
 */
export function checkForwardFits(plan: ForwardPlan): void {
  const backend = activeBackendName();
  if (backend !== "wasm" && backend !== "onednn") return;
  const need = forwardHeapBytes(plan, backend, tf.memory().numBytes);
  if (need <= USABLE * WASM_HEAP_BYTES) return;
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  const [, h, w] = plan.inputShape;
  const instead = backend === "wasm"
    ? "--backend onednn (Linux with libdnnl2, which reads the filters in place), tensorflow (tfjs-node) or webgpu"
    : "--backend tensorflow (tfjs-node) or webgpu";
  throw new BackendError(
    backend,
    `a ${w}×${h} forward pass needs about ${gib(need)} GiB of wasm heap, which holds ${
      gib(USABLE * WASM_HEAP_BYTES)
    } GiB usable: use ${instead}, or a smaller --loadSize`,
  );
}
