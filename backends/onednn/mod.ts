/**
 * A native CPU path: oneDNN 2.x (Intel's deep-learning kernels, the library inside PyTorch's CPU
 * backend) through Deno FFI, registered as wasm backend kernels (convolutions and their gradients,
 * pooling gradients, pixel sums and means, (leaky) ReLU and its gradient; kernels.ts) working on the
 * tensors in the wasm heap, plus Adam's update (adam.ts). `--backend onednn` = the wasm backend +
 * these. Needs `--allow-ffi` and `libdnnl2`.
 *
 * @example
 * ```ts
 * const status = loadOneDnn();
 * if (status.ok) enableOneDnnKernels(); else console.warn(status.reason);
 * ```
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { tf } from "../tf.ts";
import { createPrimitiveCache, type PrimitiveCache } from "./primitive_cache.ts";
import {
  DNNL,
  DNNL_SYMBOLS,
  type GompSymbols,
  INSTALL_HINT,
  libraryFileName,
  openDnnl,
  openGomp,
} from "./ffi.ts";
import { ONEDNN_KERNEL_NAMES, ONEDNN_KERNELS } from "./kernels.ts";
import { replaceWasmKernels, restoreWasmKernels } from "../wasm/kernel_support.ts";
import { createContext, type DnnlContext } from "./native.ts";
import { OneDnnAdam } from "./adam.ts";
import type { AdamConstants } from "../native_adam.ts";
import { isWasmBackend } from "../wasm/heap.ts";
import { chooseWaitPolicy, type WaitPolicy } from "./wait_policy.ts";

/** The result of {@link loadOneDnn}. */
export type OneDnnStatus =
  | { ok: true; version: string; kernels: string[]; threads: number; wait: string }
  | { ok: false; reason: string };

/** The most convolution primitives kept alive (a pix2pixHD 1024p training step uses about 150). */
export const PRIMITIVE_CACHE_CAPACITY = 512;

interface Loaded {
  ctx: DnnlContext;
  version: string;
  cache: PrimitiveCache;
  gomp: GompSymbols | null;
  wait: WaitPolicy;
}

let loaded: Loaded | { reason: string } | null = null;
/** The kernel configs that were registered before ours, to restore on disable. */
let replaced: Map<string, tf.KernelConfig> | null = null;

/** oneDNN's version, read through `dnnl_version` alone (it exists in every major version). */
function readVersion(path: string): { major: number; text: string } | null {
  let probe: Deno.DynamicLibrary<{ dnnl_version: typeof DNNL_SYMBOLS.dnnl_version }> | undefined;
  try {
    probe = Deno.dlopen(path, { dnnl_version: DNNL_SYMBOLS.dnnl_version });
    const pointer = probe.symbols.dnnl_version();
    if (pointer === null) return null;
    const view = new Deno.UnsafePointerView(pointer);
    const [major, minor, patch] = [view.getInt32(0), view.getInt32(4), view.getInt32(8)];
    return { major, text: `${major}.${minor}.${patch}` };
  } catch {
    return null; // openDnnl below says why the library cannot be opened
  } finally {
    probe?.close();
  }
}

/** {@link chooseWaitPolicy}, or libgomp's default where the environment cannot be read (no --allow-env). */
function waitPolicy(): WaitPolicy {
  try {
    return chooseWaitPolicy(Deno.env);
  } catch {
    return {
      kind: "environment",
      text: "waiting as libgomp's default: no permission to read the environment",
    };
  }
}

function load(): Loaded | { reason: string } {
  if (Deno.build.arch !== "x86_64") {
    return { reason: `oneDNN kernels need an x86-64 CPU with AVX2; this is ${Deno.build.arch}` };
  }
  const wait = waitPolicy();
  const path = libraryFileName();
  const version = readVersion(path);
  if (version && version.major !== 2) {
    return {
      reason: `${path} is oneDNN ${version.text}, but these kernels use the 2.x API; ${INSTALL_HINT}`,
    };
  }
  const opened = openDnnl(path);
  if (!opened.ok) return { reason: opened.reason };
  const lib = opened.lib.symbols;
  const isa = lib.dnnl_get_effective_cpu_isa();
  if ((isa & DNNL.isa_avx2) !== DNNL.isa_avx2) {
    opened.lib.close();
    return { reason: `this CPU has no AVX2 (oneDNN ISA 0x${isa.toString(16)}); use --backend wasm` };
  }
  try {
    const ctx = createContext(lib);
    const cache = createPrimitiveCache(ctx, PRIMITIVE_CACHE_CAPACITY);
    return { ctx, version: version?.text ?? "2.x", cache, gomp: openGomp(), wait };
  } catch (err) {
    opened.lib.close();
    return { reason: `oneDNN could not start: ${err instanceof Error ? err.message : err}` };
  }
}

/**
 * Loads oneDNN once per process and says whether its kernels can be used here.
 *
 * @returns `{ok: true, version, kernels}`, or `{ok: false, reason}` naming what is missing and how to
 * install it (no library, another major version, a missing symbol, no AVX2, no `--allow-ffi`); never throws
 */
export function loadOneDnn(): OneDnnStatus {
  if (loaded === null) {
    try {
      loaded = load();
    } catch (err) {
      loaded = { reason: `oneDNN could not be loaded: ${err instanceof Error ? err.message : err}` };
    }
  }
  if ("reason" in loaded) return { ok: false, reason: loaded.reason };
  const threads = loaded.gomp?.omp_get_max_threads() ?? 1;
  return {
    ok: true,
    version: loaded.version,
    kernels: [...ONEDNN_KERNEL_NAMES],
    threads,
    wait: loaded.wait.text,
  };
}

/**
 * Sets how many threads oneDNN's convolutions use (default: `OMP_NUM_THREADS`, else every core).
 * Fewer than the cores helps on a machine that other jobs keep busy: OpenMP threads wait for each
 * other, so one descheduled thread stalls them all. Cached primitives are freed: oneDNN plans a
 * primitive's work split for the thread count at its creation.
 *
 * @param threads 1 or more
 * @returns the thread count now in effect
 * @throws {BackendError} when oneDNN is not loaded, or its OpenMP runtime cannot be reached
 * @throws {RangeError} when `threads` is not a positive integer
 */
export function setOneDnnThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`oneDNN threads must be a positive integer, got ${threads}`);
  }
  const status = loadOneDnn();
  if (!status.ok) throw new BackendError("onednn", status.reason);
  const { gomp } = loaded as Loaded;
  if (!gomp) {
    throw new BackendError(
      "onednn",
      "this oneDNN build does not run on libgomp; set OMP_NUM_THREADS instead",
    );
  }
  gomp.omp_set_num_threads(threads);
  (loaded as Loaded).cache.clear();
  return gomp.omp_get_max_threads();
}

/**
 * Registers the oneDNN convolution kernels on the wasm backend, over whatever was registered for those
 * names (kept as fallback for NCHW / non-float32 cases, and restored by {@link disableOneDnnKernels}).
 * Call it after other wasm kernel overrides. Calling it again does nothing.
 *
 * @returns the kernel names now served by oneDNN
 * @throws {BackendError} when oneDNN cannot be loaded here (the reason from {@link loadOneDnn})
 */
export function enableOneDnnKernels(): string[] {
  const status = loadOneDnn();
  if (!status.ok) throw new BackendError("onednn", status.reason);
  if (replaced) return status.kernels;
  replaced = replaceWasmKernels(ONEDNN_KERNELS, (loaded as Loaded).cache);
  return status.kernels;
}

/**
 * Unregisters the oneDNN kernels, restores the ones they replaced and frees the cached primitives.
 *
 * @returns the kernel names that were served by oneDNN (empty when none were)
 */
export function disableOneDnnKernels(): string[] {
  if (!replaced) return [];
  restoreWasmKernels(ONEDNN_KERNEL_NAMES, replaced);
  replaced = null;
  (loaded as Loaded).cache.clear();
  return [...ONEDNN_KERNEL_NAMES];
}

/**
 * Whether our oneDNN kernels serve the wasm backend now (cheap: for checks on every layer call).
 *
 * @returns true between `enableOneDnnKernels()` and `disableOneDnnKernels()`
 */
export function oneDnnKernelsEnabled(): boolean {
  return replaced !== null;
}

/**
 * What oneDNN runs now, for `doctor` and profiles.
 *
 * @returns whether the kernels are enabled, oneDNN's implementation per cached convolution (key: pass
 * and geometry, value: e.g. `brgconv:avx2`), and how many primitives were ever created (JIT compilations)
 */
export function oneDnnInfo(): { enabled: boolean; primitives: Map<string, string>; created: number } {
  const cache = loaded && "cache" in loaded ? loaded.cache : null;
  return {
    enabled: replaced !== null,
    primitives: cache?.implementations() ?? new Map(),
    created: cache?.created ?? 0,
  };
}

/**
 * Adam's update on oneDNN (moments off the wasm heap), when the oneDNN kernels serve the current
 * backend; null otherwise (the caller keeps TensorFlow.js's ops), also when oneDNN rejects a pass
 * (said on stderr).
 *
 * @param constants β1, β2, eps
 * @param sizes element count per parameter name
 * @returns the optimizer core, or null
 */
export function createOneDnnAdam(
  constants: AdamConstants,
  sizes: ReadonlyMap<string, number>,
): OneDnnAdam | null {
  if (!replaced || !loaded || !("ctx" in loaded) || !isWasmBackend(tf.backend())) return null;
  try {
    return new OneDnnAdam(loaded.ctx, constants, sizes);
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    console.warn(`Adam stays on TensorFlow.js ops: ${err.message}`);
    return null;
  }
}
