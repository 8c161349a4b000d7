/**
 * Convolutions on onnxruntime's CPU library (MLAS, through npm onnxruntime-node) for the wasm
 * backend: `--backend ort` = the wasm backend + these kernels (kernels.ts). It is the fast CPU path
 * where oneDNN is missing (macOS, Windows, Linux without `libdnnl2`): onnxruntime-node's library ships
 * for those.
 *
 * @example
 * ```ts
 * const status = loadOrt();
 * if (status.ok) enableOrtKernels(); else console.warn(status.reason);
 * ```
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { tf } from "../tf.ts";
import { OrtC, ortLibraryPath } from "./capi.ts";
import { OrtAdam } from "./adam.ts";
import { isWasmBackend } from "../wasm/heap.ts";
import type { AdamConstants } from "../native_adam.ts";
import { ORT_KERNEL_NAMES, ORT_KERNELS, type OrtKernelState } from "./kernels.ts";
import { replaceWasmKernels, restoreWasmKernels } from "../wasm/kernel_support.ts";
import { ConvSessions } from "./sessions.ts";
import { FilterLayouts, toAdjointOnnxFilter, toOnnxFilter } from "./filter_layout.ts";

/** onnxruntime's threads: one per logical core (its own default counts physical cores, 1 on many VMs). */
export const ORT_THREADS = navigator.hardwareConcurrency ?? 1;

/** The result of {@link loadOrt}. */
export type OrtStatus = { ok: true; version: string; kernels: string[] } | { ok: false; reason: string };

let loaded: (OrtKernelState & { ort: OrtC; version: string }) | { reason: string } | null = null;

/** How the library is found: onnxruntime-node's entry file; tests pass one that does not exist. */
export type OrtPackageResolver = () => string;
const resolvePackage: OrtPackageResolver = () => import.meta.resolve("onnxruntime-node");
/** The kernel configs that were registered before ours, to restore on disable. */
let replaced: Map<string, tf.KernelConfig> | null = null;

/**
 * Opens onnxruntime's library (the one npm onnxruntime-node ships) and makes its environment.
 *
 * @param resolve how onnxruntime-node's entry file is found
 * @returns onnxruntime's C API, or why it does not load here (with what it needs); never throws
 */
export function openOrt(resolve: OrtPackageResolver = resolvePackage): OrtC | { reason: string } {
  try {
    return new OrtC(ortLibraryPath(resolve()), ORT_THREADS);
  } catch (error) {
    const cause = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    return {
      reason:
        `onnxruntime (npm onnxruntime-node) does not load on ${Deno.build.os}-${Deno.build.arch}: ${cause}; ` +
        "it needs --allow-ffi and the package installed (`deno install`)",
    };
  }
}

/**
 * Opens onnxruntime once per process ({@link openOrt}) and says whether its kernels can be used here.
 *
 * @returns `{ok: true, version, kernels}`, or `{ok: false, reason}`; never throws
 */
export function loadOrt(): OrtStatus {
  if (loaded === null) {
    const ort = openOrt();
    loaded = "reason" in ort ? ort : {
      ort,
      sessions: new ConvSessions(ort),
      filters: new FilterLayouts(toOnnxFilter),
      adjoints: new FilterLayouts(toAdjointOnnxFilter),
      version: ort.version,
    };
  }
  if ("reason" in loaded) return { ok: false, reason: loaded.reason };
  return { ok: true, version: loaded.version, kernels: [...ORT_KERNEL_NAMES] };
}

/**
 * Registers the onnxruntime convolution kernels on the wasm backend, over whatever was registered for
 * those names (kept as fallback, and restored by {@link disableOrtKernels}). Calling it again does
 * nothing.
 *
 * @returns the kernel names now served by onnxruntime
 * @throws {BackendError} when onnxruntime cannot be loaded here (the reason from {@link loadOrt})
 */
export function enableOrtKernels(): string[] {
  const status = loadOrt();
  if (!status.ok || loaded === null || "reason" in loaded) {
    throw new BackendError("ort", status.ok ? "onnxruntime is not loaded" : status.reason);
  }
  if (!replaced) replaced = replaceWasmKernels(ORT_KERNELS, loaded);
  return [...ORT_KERNEL_NAMES];
}

/**
 * Unregisters the onnxruntime kernels, restores the ones they replaced, and frees the sessions and
 * permuted filters.
 *
 * @returns the kernel names that were served by onnxruntime (empty when none were)
 */
export function disableOrtKernels(): string[] {
  if (!replaced || loaded === null || "reason" in loaded) return [];
  restoreWasmKernels(ORT_KERNEL_NAMES, replaced);
  replaced = null;
  loaded.sessions.clear();
  loaded.filters.clear();
  loaded.adjoints.clear();
  return [...ORT_KERNEL_NAMES];
}

/**
 * Whether our onnxruntime kernels serve the wasm backend now.
 *
 * @returns true between `enableOrtKernels()` and `disableOrtKernels()`
 */
export function ortKernelsEnabled(): boolean {
  return replaced !== null;
}

/**
 * What the kernels hold now, for tests and profiles.
 *
 * @returns sessions made so far and kept now, and bytes of permuted filters kept
 */
export function ortInfo(): { created: number; sessions: number; filterBytes: number } {
  if (loaded === null || "reason" in loaded) return { created: 0, sessions: 0, filterBytes: 0 };
  const filterBytes = loaded.filters.bytes + loaded.adjoints.bytes;
  return { created: loaded.sessions.created, sessions: loaded.sessions.size, filterBytes };
}

/**
 * Adam's update on onnxruntime (moments off the wasm heap), when the onnxruntime kernels serve the
 * current backend; null otherwise (the caller keeps TensorFlow.js's ops), also when onnxruntime rejects
 * the model (said on stderr).
 *
 * @param constants β1, β2, eps
 * @param sizes element count per parameter name
 * @returns the optimizer core, or null
 */
export function createOrtAdam(constants: AdamConstants, sizes: ReadonlyMap<string, number>): OrtAdam | null {
  if (!replaced || loaded === null || "reason" in loaded || !isWasmBackend(tf.backend())) return null;
  try {
    return new OrtAdam(loaded.ort, constants, sizes);
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    console.warn(`Adam stays on TensorFlow.js ops: ${err.message}`);
    return null;
  }
}
