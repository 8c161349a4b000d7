/**
 * Multi-threaded wasm (tfjs-backend-wasm-threaded-simd.wasm) under Deno.
 *
 * tfjs-backend-wasm 4.22 never uses threads outside a browser: `WASM_HAS_MULTITHREAD_SUPPORT` is false
 * when tfjs sees Node (Deno's npm compat looks like Node). Forcing the flag fails in four places, each
 * fixed here (Deno itself can share a WebAssembly.Memory and send a WebAssembly.Module to workers):
 * 1. Emscripten starts each pthread worker with `new (require("worker_threads").Worker)(url)` where
 *    `url` is a `blob:` URL that Node-style workers cannot load (ERR_WORKER_PATH). We replace
 *    `worker_threads.Worker` by a subclass that loads the same worker script, written to a temporary
 *    `.cjs` file (CommonJS, so it gets `require`), with newlines escaped as tfjs does for its blob.
 * 2. That script assigns `self`, `location`, `postMessage`… on the worker's global scope, where Deno
 *    defines them as getters only: a prelude redefines them as writable first.
 * 3. The worker then imports the main script from a `Blob` (`importScripts` of a blob URL, which the
 *    Node branch reads with `fs.readFileSync`): the subclass writes the Blob to a temporary `.cjs` file
 *    and sends its path instead. The main script refers to the bundle's free variables `require$$0`…
 *    and `commonjsGlobal`, which the prelude defines.
 * 4. The C++ side caps the pool at `emscripten_num_logical_cores() / 2` (os.cpus().length / 2 under
 *    Node), so 2 threads need 4 reported cores: `os.cpus` reports at least twice the thread count
 *    until the first pthread starts, then is restored.
 *
 * Exit: emscripten starts a pool of 8 workers, each a thread with a V8 isolate, and XNNPACK runs on
 * `threads - 1` of them. When a script ends, Deno drops its runtime, which asks every worker to stop
 * without waiting, then calls `exit()`: the idle workers were still tearing their isolates down
 * while the process ran its exit handlers (seen with strace; a glibc "corrupted size vs. prev_size"
 * abort at exit was seen once). The running ones are parked in a futex wait and never stop, which is
 * harmless. {@link releaseSpareWasmWorkers} ends the idle workers as soon as the backend has started
 * and waits until their threads are gone, so no isolate is torn down when the process exits.
 *
 * @module
 */
import os from "node:os";
import workerThreads from "node:worker_threads";
import { fileURLToPath } from "node:url";
import * as wasmBackend from "@tensorflow/tfjs-backend-wasm";
import { tf } from "../tfjs.ts";

const PRELUDE = [
  'for (const key of ["self", "location", "Worker", "postMessage", "performance", "importScripts"]) {',
  "  Object.defineProperty(globalThis, key, { value: globalThis[key], writable: true, configurable: true });",
  "}",
  "Object.assign(globalThis, {",
  '  require$$0: require("fs"), require$$1: require("path"), require$$3: require("perf_hooks"),',
  '  require$$4: require("os"), commonjsGlobal: globalThis,',
  "});",
  "",
].join("\n");

let enabled = false;
/** Deno's Web Worker, which emscripten replaces on the global scope with node's class when it starts. */
const WebWorker = globalThis.Worker;

/** The emscripten pthread worker script that tfjs-backend-wasm embeds in its bundle. */
function pthreadWorkerSource(): string {
  const bundle = Deno.readTextFileSync(fileURLToPath(import.meta.resolve("@tensorflow/tfjs-backend-wasm")));
  const match = bundle.match(/var wasmWorkerContents = ("(?:[^"\\]|\\.)*");/);
  if (!match) throw new Error("tfjs-backend-wasm bundle has no pthread worker script");
  return (JSON.parse(match[1]) as string).replace(/\n/g, "\\n");
}

function writeTemp(text: string): string {
  const file = Deno.makeTempFileSync({ prefix: "tfjs_wasm_", suffix: ".cjs" });
  Deno.writeTextFileSync(file, text);
  globalThis.addEventListener("unload", () => Deno.removeSync(file));
  return file;
}

/** Patches `os.cpus` to report at least `count` cores; returns the restore function. */
function reportCores(count: number): () => void {
  const mutable = os as unknown as { cpus: typeof os.cpus };
  const real = mutable.cpus;
  mutable.cpus = () => {
    const cpus = real();
    return cpus.length >= count ? cpus : Array.from({ length: count }, (_, i) => cpus[i % cpus.length]);
  };
  return () => (mutable.cpus = real);
}

/**
 * Makes the wasm backend run XNNPACK on `threads` threads. Call it before the wasm backend is first
 * used (`tf.setBackend("wasm")`): the binary is chosen when the backend initialises. Once it has
 * started, {@link releaseSpareWasmWorkers} ends the pool's idle workers (backends/select.ts does both).
 *
 * @param threads the number of threads (the main thread included)
 * @returns true when threads are set up; false when the wasm backend was already initialised, or when
 *   this process cannot write the worker scripts to a temporary file
 */
export function enableWasmThreads(threads = 2): boolean {
  if (enabled) return true;
  if ((tf.engine().registry as Record<string, unknown>)["wasm"] !== undefined) return false;
  let workerFile: string;
  try {
    workerFile = writeTemp(PRELUDE + pthreadWorkerSource());
  } catch {
    return false;
  }
  const restoreCores = reportCores(2 * threads);
  let mainScript: Promise<string> | undefined;
  const NodeWorker = workerThreads.Worker;
  class PthreadWorker extends NodeWorker {
    constructor(path: string | URL, options?: workerThreads.WorkerOptions) {
      super(String(path).startsWith("blob:") ? workerFile : path, options);
    }
    /** Running pthreads would keep Deno alive: the pool's threads never exit. */
    override ref(): void {}
    override postMessage(message: unknown, transfer?: readonly workerThreads.TransferListItem[]): void {
      const data = message as { cmd?: string; urlOrBlob?: unknown };
      if (data?.cmd === "run") restoreCores();
      if (data?.cmd === "load" && data.urlOrBlob instanceof Blob) {
        mainScript ??= data.urlOrBlob.text().then(writeTemp);
        mainScript.then((file) => super.postMessage({ ...data, urlOrBlob: file }, transfer));
        return;
      }
      super.postMessage(message, transfer);
    }
  }
  (workerThreads as unknown as { Worker: typeof NodeWorker }).Worker = PthreadWorker;
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  wasmBackend.setThreadsCount(threads);
  enabled = true;
  return true;
}

/**
 * The threads the wasm backend runs on, once it has started.
 *
 * @returns the count, the main thread included; 1 for the single-threaded build
 */
export function wasmThreadCount(): number {
  return enabled ? Math.max(1, wasmBackend.getThreadsCount()) : 1;
}

/** The part of emscripten's pthread bookkeeping that {@link releaseSpareWasmWorkers} uses. */
interface PthreadPool {
  unusedWorkers: { threadId: number; terminate(): unknown }[];
}

/** Names of this process's threads still alive, or null where the OS does not list them (not Linux). */
function threadNames(): Set<string> | null {
  try {
    const names = new Set<string>();
    for (const task of Deno.readDirSync("/proc/self/task")) {
      try {
        names.add(Deno.readTextFileSync(`/proc/self/task/${task.name}/comm`).trim());
      } catch {
        // the thread ended while we listed it
      }
    }
    return names;
  } catch {
    return null;
  }
}

/**
 * Ends the pthread workers that the threaded wasm backend started but does not use (emscripten
 * starts 8; XNNPACK runs on `threads - 1`, started with the backend) and waits until their threads
 * are gone: on Linux by watching the process's thread list (Deno names a worker's thread
 * `worker-<threadId>`), elsewhere for `graceMs`. It also gives `globalThis.Worker` back to Deno's
 * Web Worker, which emscripten had replaced with node's class: all of XNNPACK's threads start with
 * the backend, so emscripten creates no worker afterwards. Call it once the wasm backend has started;
 * it does nothing when the backend is not the threaded build.
 *
 * @param timeoutMs the longest wait for the threads to end
 * @param graceMs the wait where the threads cannot be listed
 * @returns how many workers were ended
 */
export async function releaseSpareWasmWorkers(timeoutMs = 5000, graceMs = 200): Promise<number> {
  const backend = tf.findBackend("wasm") as { wasm?: { PThread?: PthreadPool } } | null;
  const pool = backend?.wasm?.PThread;
  if (!pool) return 0;
  globalThis.Worker = WebWorker;
  if (pool.unusedWorkers.length === 0) return 0;
  const spare = pool.unusedWorkers.splice(0);
  const names = spare.map((worker) => `worker-${worker.threadId}`);
  for (const worker of spare) worker.terminate();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  if (threadNames() === null) {
    await sleep(graceMs);
    return spare.length;
  }
  const deadline = performance.now() + timeoutMs;
  while (names.some((name) => threadNames()?.has(name)) && performance.now() < deadline) await sleep(2);
  return spare.length;
}
