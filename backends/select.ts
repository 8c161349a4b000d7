/**
 * Backend selection. `auto` tries, in order: TensorFlow's native library through
 * `@tensorflow/tfjs-node-gpu` then `@tensorflow/tfjs-node`, WebGPU on a real GPU adapter (not a
 * software fallback), oneDNN (wasm with oneDNN convolutions through FFI) when `libdnnl.so.2` loads,
 * ort (wasm with onnxruntime-node's convolutions) when its native library loads, then wasm, then cpu — and says which it picked and why. Naming a backend that cannot load is a
 * `BackendError` that says how to get it. All backend quirks live in this file.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { BackendError } from "../kernel/errors.ts";
import { disableOneDnnKernels, enableOneDnnKernels, loadOneDnn, oneDnnKernelsEnabled } from "./onednn/mod.ts";
import { type EmscriptenAllocator, installHeapArena } from "./wasm/heap_arena.ts";
import { noteKernels } from "./doctor_notes.ts";
import {
  enableWasmThreads,
  registerWasmTrainingKernels,
  releaseSpareWasmWorkers,
  wasmThreadCount,
} from "./wasm/mod.ts";
import type { DeviceRequest } from "../kernel/device_flags.ts";
import { disableOrtKernels, enableOrtKernels, loadOrt, ORT_THREADS, ortKernelsEnabled } from "./ort/mod.ts";

noteKernels("wasm", registerWasmTrainingKernels());

/** Backends a user can ask for. */
export const BACKENDS = ["auto", "tensorflow", "onednn", "webgpu", "ort", "wasm", "cpu"] as const;
/** A backend name. */
export type BackendName = typeof BACKENDS[number];

/** What was picked, and why. */
export interface BackendChoice {
  /** The backend now active by our names; onednn and ort run as tfjs's "wasm" with their kernels. */
  name: Exclude<BackendName, "auto">;
  /** One line on why this one (and why not the ones before it, for `auto`). */
  reason: string;
  /** What `--gpu_ids` did ("--gpu_ids 0: onednn runs on the CPU"), when it was given. */
  placement?: string;
}

/** Loads a module by specifier; injectable so tests can exercise the loading path. */
export type Importer = (specifier: string) => Promise<unknown>;
const defaultImporter: Importer = (specifier) => import(specifier);

const TFJS_NODE_HELP: Record<string, string> = {
  "@tensorflow/tfjs-node-gpu":
    "it needs CUDA 11.2+ and cuDNN 8 on the machine; add it with `deno add npm:@tensorflow/tfjs-node-gpu@4.22.0` and allow its install script: `deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu`",
  "@tensorflow/tfjs-node":
    "add it with `deno add npm:@tensorflow/tfjs-node@4.22.0` and allow its install script (it downloads libtensorflow): `deno install --allow-scripts=npm:@tensorflow/tfjs-node`",
};

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/**
 * Loads TensorFlow's native backend from one of the tfjs-node packages and makes it active.
 *
 * @param pkg "@tensorflow/tfjs-node-gpu" or "@tensorflow/tfjs-node"
 * @param importer how to import it (tests inject a fake)
 * @throws {BackendError} when the package is not installed or its native library does not load
 */
export async function loadTfjsNode(
  pkg: keyof typeof TFJS_NODE_HELP,
  importer = defaultImporter,
): Promise<void> {
  let resolved: string;
  try {
    resolved = import.meta.resolve(pkg);
  } catch {
    throw new BackendError("tensorflow", `${pkg} is not installed: ${TFJS_NODE_HELP[pkg]}`);
  }
  try {
    await importer(resolved);
  } catch (error) {
    throw new BackendError(
      "tensorflow",
      `${pkg} is installed but did not load (${message(error)}): ${TFJS_NODE_HELP[pkg]}`,
    );
  }
  if (!tf.findBackendFactory("tensorflow")) {
    throw new BackendError("tensorflow", `${pkg} loaded but registered no "tensorflow" backend`);
  }
  if (!(await tf.setBackend("tensorflow"))) {
    throw new BackendError("tensorflow", `${pkg} loaded but its backend failed to initialise`);
  }
}

/**
 * Gives the process a private, empty `XDG_RUNTIME_DIR` when it has no valid one, before WebGPU first
 * looks for an adapter: the Vulkan loader's Wayland check otherwise prints "error: XDG_RUNTIME_DIR is
 * invalid or not set in the environment." on every adapter request, which reads as a failure on every
 * successful run. The folder (mode 0700) is removed when the process ends; a valid one is left alone.
 *
 * @returns the folder now in `XDG_RUNTIME_DIR`
 */
export function ensureXdgRuntimeDir(): string {
  const current = Deno.env.get("XDG_RUNTIME_DIR");
  if (current) {
    try {
      if (Deno.statSync(current).isDirectory) return current;
    } catch {
      // not a folder: replaced below
    }
  }
  const dir = Deno.makeTempDirSync({ prefix: "p2phd-xdg-" });
  Deno.chmodSync(dir, 0o700);
  Deno.env.set("XDG_RUNTIME_DIR", dir);
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  return dir;
}

/** Describes the WebGPU adapter here, or says why there is none. */
export async function probeWebGpu(): Promise<{ ok: boolean; fallback: boolean; description: string }> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { ok: false, fallback: false, description: "no navigator.gpu in this runtime" };
  ensureXdgRuntimeDir();
  let adapter: Record<string, unknown> | null = null;
  try {
    adapter = await gpu.requestAdapter() as Record<string, unknown> | null;
  } catch (error) {
    return { ok: false, fallback: false, description: `requestAdapter failed: ${message(error)}` };
  }
  if (!adapter) return { ok: false, fallback: false, description: "no WebGPU adapter (no Vulkan driver?)" };
  const info = (adapter.info ?? {}) as Record<string, unknown>;
  const fallback = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter);
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ");
  return {
    ok: true,
    fallback,
    description: `${name || "unknown adapter"}${fallback ? " (software fallback)" : ""}`,
  };
}

async function loadWebGpu(allowFallback: boolean): Promise<string> {
  const probe = await probeWebGpu();
  if (!probe.ok) {
    throw new BackendError(
      "webgpu",
      `${probe.description}; on Linux install a Vulkan driver (e.g. \`apt-get install mesa-vulkan-drivers\` for a software one)`,
    );
  }
  if (probe.fallback && !allowFallback) {
    throw new BackendError("webgpu", `the only adapter is a software fallback (${probe.description})`);
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) {
    throw new BackendError("webgpu", "the tfjs WebGPU backend failed to initialise");
  }
  return probe.description;
}

async function loadOneDnnBackend(): Promise<string> {
  const probe = loadOneDnn();
  if (!probe.ok) throw new BackendError("onednn", probe.reason);
  await setPlain("wasm", 1);
  installHeapArena(tf.backend() as unknown as { wasm: EmscriptenAllocator });
  noteKernels("onednn", enableOneDnnKernels());
  return `oneDNN ${probe.version} convolutions and Adam on the wasm backend (${probe.threads} threads, ${probe.wait})`;
}

async function loadOrtBackend(): Promise<string> {
  const probe = loadOrt();
  if (!probe.ok) throw new BackendError("ort", probe.reason);
  await setPlain("wasm", 1);
  installHeapArena(tf.backend() as unknown as { wasm: EmscriptenAllocator });
  noteKernels("ort", enableOrtKernels());
  return `onnxruntime ${probe.version} (npm onnxruntime-node) convolutions and Adam on the wasm backend (${ORT_THREADS} threads)`;
}

/** Whether this runtime can run wasm threads: shared wasm memory and at least two cores. */
function canRunWasmThreads(): boolean {
  if (typeof SharedArrayBuffer !== "function" || (navigator.hardwareConcurrency ?? 1) < 2) return false;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/**
 * How many threads the wasm backend should run on: `P2PHD_WASM_THREADS=N` when set (1 turns threads
 * off), else `byDefault` where this runtime can run wasm threads, else 1.
 *
 * @param byDefault the count when `P2PHD_WASM_THREADS` is unset
 * @returns the thread count, 1 for none
 */
function wasmThreadsWanted(byDefault: number): number {
  const setting = Deno.env.get("P2PHD_WASM_THREADS");
  const threads = setting === undefined || setting === "" ? byDefault : Number(setting);
  return Number.isInteger(threads) && threads >= 2 && canRunWasmThreads() ? threads : 1;
}

/**
 * The threads plain wasm runs on in this environment (oneDNN runs the wasm backend on one unless
 * `P2PHD_WASM_THREADS` says otherwise).
 *
 * @returns the thread count, 1 for none
 */
export function plainWasmThreads(): number {
  return wasmThreadsWanted(2);
}

/**
 * Runs the wasm backend on several threads: XNNPACK's convs and matmuls then use the cores (1.4–1.9×
 * on an idle 2-core machine; 1.2–2× slower when other processes keep the cores busy, as the threads
 * wait for each other at every kernel). Two by default on plain wasm, none under oneDNN (its
 * convolutions run in oneDNN's own threads); `P2PHD_WASM_THREADS=N` overrides both. It only takes effect before the wasm backend first
 * starts, as tfjs fixes the thread count then.
 */
function startWasmThreads(byDefault: number): void {
  const threads = wasmThreadsWanted(byDefault);
  if (threads >= 2) enableWasmThreads(threads);
}

/** The wasm backend's thread count in words, with how to change it. */
function wasmThreadsNote(): string {
  const threads = wasmThreadCount();
  if (threads > 1) return `${threads} threads (P2PHD_WASM_THREADS=1 for one)`;
  return plainWasmThreads() > 1
    ? "1 thread (the wasm backend had already started on one, e.g. for oneDNN)"
    : "1 thread";
}

/**
 * Makes wasm or cpu active.
 *
 * @param name the backend
 * @param wasmThreads the wasm thread count when `P2PHD_WASM_THREADS` is unset
 */
async function setPlain(name: "wasm" | "cpu", wasmThreads = 2): Promise<void> {
  disableOneDnnKernels();
  disableOrtKernels();
  if (name === "wasm") startWasmThreads(wasmThreads);
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new BackendError(name, message(error));
  }
  if (!ok) throw new BackendError(name, "the backend failed to initialise");
  // no pthread worker may be left tearing itself down when the process exits (backends/wasm/threads.ts)
  if (name === "wasm") await releaseSpareWasmWorkers();
}

/** The backend named by `--backend`, else `P2PHD_BACKEND`, else "auto". */
export function requestedBackend(flag?: string): BackendName {
  const name = flag ?? Deno.env.get("P2PHD_BACKEND") ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new BackendError(name, `unknown backend; choose one of ${BACKENDS.join(", ")}`);
  }
  return name as BackendName;
}

/**
 * Makes a backend active.
 *
 * @param name a backend name, or "auto" (default: `P2PHD_BACKEND` or "auto")
 * @param device where the user asked to run (`--gpu_ids`, kernel/device_flags.ts): the CPU only, one
 *   GPU, or no preference
 * @returns the backend now active and why (with what `--gpu_ids` did)
 * @throws {BackendError} when the named backend cannot load, with how to get it, or is a GPU backend
 *   while `--gpu_ids -1` asks for the CPU
 */
export async function selectBackend(
  name: string = requestedBackend(),
  device: DeviceRequest = { cpu: false, gpu: null },
): Promise<BackendChoice> {
  const wanted = requestedBackend(name);
  tf.env().set("PROD", true);
  if (device.cpu && wanted === "webgpu") {
    throw new BackendError("webgpu", "it is a GPU backend but --gpu_ids -1 asks for the CPU");
  }
  if (device.gpu !== null && !Deno.env.get("CUDA_VISIBLE_DEVICES")) {
    // read by TensorFlow's CUDA build when it loads; harmless for the other backends
    Deno.env.set("CUDA_VISIBLE_DEVICES", String(device.gpu));
  }
  const choice = await selectFor(wanted, device);
  if (device.gpu === null && !device.cpu) return choice;
  const where = placement(choice, device);
  return { ...choice, reason: `${choice.reason}; ${where}`, placement: where };
}

/** What `--gpu_ids` did, in words. */
function placement(choice: BackendChoice, device: DeviceRequest): string {
  if (device.cpu) return "--gpu_ids -1: on the CPU";
  const tensorflowGpu = choice.name === "tensorflow" && choice.reason.includes("tfjs-node-gpu");
  if (tensorflowGpu) return `--gpu_ids ${device.gpu}: on CUDA device ${Deno.env.get("CUDA_VISIBLE_DEVICES")}`;
  const where = choice.name === "webgpu" ? "the adapter WebGPU gives (it cannot pick a device)" : "the CPU";
  return `--gpu_ids ${device.gpu}: ${choice.name} runs on ${where}`;
}

async function selectFor(wanted: BackendName, device: DeviceRequest): Promise<BackendChoice> {
  switch (wanted) {
    case "tensorflow": {
      if (device.cpu) {
        await loadTfjsNode("@tensorflow/tfjs-node");
        return { name: "tensorflow", reason: "asked for; @tensorflow/tfjs-node loaded (CPU)" };
      }
      try {
        await loadTfjsNode("@tensorflow/tfjs-node-gpu");
        return { name: "tensorflow", reason: "asked for; @tensorflow/tfjs-node-gpu loaded" };
      } catch (gpuError) {
        try {
          await loadTfjsNode("@tensorflow/tfjs-node");
          return {
            name: "tensorflow",
            reason: `asked for; @tensorflow/tfjs-node loaded (${message(gpuError)})`,
          };
        } catch {
          throw gpuError;
        }
      }
    }
    case "webgpu":
      return { name: "webgpu", reason: `asked for; adapter ${await loadWebGpu(true)}` };
    case "onednn":
      return { name: "onednn", reason: `asked for; ${await loadOneDnnBackend()}` };
    case "ort":
      return { name: "ort", reason: `asked for; ${await loadOrtBackend()}` };
    case "wasm":
      await setPlain(wanted);
      return { name: wanted, reason: `asked for; ${wasmThreadsNote()}` };
    case "cpu":
      await setPlain(wanted);
      return { name: wanted, reason: "asked for" };
    case "auto":
      return await selectAuto(device.cpu);
  }
}

async function selectAuto(cpuOnly: boolean): Promise<BackendChoice> {
  const skipped: string[] = [];
  const packages = cpuOnly
    ? ["@tensorflow/tfjs-node"] as const
    : ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;
  for (const pkg of packages) {
    try {
      await loadTfjsNode(pkg);
      return { name: "tensorflow", reason: `auto: ${pkg} loaded` };
    } catch (error) {
      skipped.push(`${pkg}: ${message(error).includes("not installed") ? "not installed" : message(error)}`);
    }
  }
  if (cpuOnly) skipped.push("GPU backends: --gpu_ids -1");
  else {
    try {
      const adapter = await loadWebGpu(false);
      return { name: "webgpu", reason: `auto: WebGPU on ${adapter} (${skipped.join("; ")})` };
    } catch (error) {
      skipped.push(`webgpu: ${message(error).replace(/^Cannot use backend "webgpu": /, "")}`);
    }
  }
  try {
    const what = await loadOneDnnBackend();
    return { name: "onednn", reason: `auto: ${what} (${skipped.join("; ")})` };
  } catch (error) {
    skipped.push(`onednn: ${message(error).replace(/^Cannot use backend "onednn": /, "")}`);
  }
  try {
    const what = await loadOrtBackend();
    return { name: "ort", reason: `auto: ${what} (${skipped.join("; ")})` };
  } catch (error) {
    skipped.push(`ort: ${message(error).replace(/^Cannot use backend "ort": /, "")}`);
  }
  try {
    await setPlain("wasm");
    return { name: "wasm", reason: `auto: wasm, ${wasmThreadsNote()} (${skipped.join("; ")})` };
  } catch (error) {
    skipped.push(`wasm: ${message(error)}`);
  }
  await setPlain("cpu");
  return { name: "cpu", reason: `auto: cpu, the slowest (${skipped.join("; ")})` };
}

/**
 * The active backend by our names: "onednn" or "ort" when the oneDNN or onnxruntime kernels serve
 * the wasm backend, else TensorFlow.js's name ("wasm", "cpu", "webgpu", "tensorflow").
 *
 * @returns the name
 */
export function activeBackendName(): string {
  const name = tf.getBackend();
  if (name !== "wasm") return name;
  return oneDnnKernelsEnabled() ? "onednn" : ortKernelsEnabled() ? "ort" : name;
}
