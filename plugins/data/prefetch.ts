/**
 * Reading samples ahead of their use in background workers (one per in-flight sample, at most
 * `hardwareConcurrency - 1`), so decoding and resizing run in parallel with training. Results come
 * back in submission order; `readAhead: 0` reads inline on the calling thread.
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import type { Draws } from "./preprocess.ts";
import { type Entry, type RawSample, type ReadOptions, readRawSample } from "./sample_reader.ts";

/** One sample to read. */
export interface ReadJob {
  entry: Entry;
  draws: Draws;
}

interface WorkerReply {
  id: number;
  raw?: RawSample;
  error?: { name: string; file?: string; message: string };
}

function toError(e: NonNullable<WorkerReply["error"]>): Error {
  if (e.file !== undefined) return new DataError(e.file, e.message);
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}

/**
 * Deno's Web Worker, kept at load time: while the threaded wasm build starts (backends/wasm/threads.ts),
 * `globalThis.Worker` is node's worker_threads class, as emscripten sets it under Node (it is given back
 * once the backend has started).
 */
const WebWorker: typeof Worker = globalThis.Worker;

/** A pool of read workers. */
class ReadPool {
  #workers: Worker[] = [];
  #idle: Worker[] = [];
  #waiting: (() => void)[] = [];
  #pending = new Map<number, { resolve: (raw: RawSample) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new WebWorker(new URL("./read_worker.ts", import.meta.url).href, { type: "module" });
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const { id, raw, error } = event.data;
        const p = this.#pending.get(id)!;
        this.#pending.delete(id);
        this.#release(worker);
        if (error) p.reject(toError(error));
        else p.resolve(raw!);
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        for (const p of this.#pending.values()) p.reject(new Error(`read worker failed: ${event.message}`));
        this.#pending.clear();
      };
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  #release(worker: Worker): void {
    this.#idle.push(worker);
    this.#waiting.shift()?.();
  }

  async read(job: ReadJob, opts: ReadOptions): Promise<RawSample> {
    while (this.#idle.length === 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    const worker = this.#idle.pop()!;
    const id = this.#next++;
    return await new Promise<RawSample>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, entry: job.entry, opts, draws: job.draws });
    });
  }

  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}

/**
 * Reads `jobs` in order, keeping up to `readAhead` of them in flight in workers.
 *
 * @param jobs the samples to read, in order (consumed lazily)
 * @param opts how to read them
 * @param readAhead samples read ahead (0: read inline, no workers)
 * @returns the read samples, in the order of `jobs`; workers stop when the iteration ends
 * @throws {DataError} the first sample's error, in order
 */
export async function* readAhead(
  jobs: Iterable<ReadJob>,
  opts: ReadOptions,
  readAhead: number,
): AsyncGenerator<RawSample> {
  if (readAhead <= 0) {
    for (const job of jobs) yield await readRawSample(job.entry, opts, job.draws);
    return;
  }
  const cores = (globalThis.navigator?.hardwareConcurrency ?? 2) - 1;
  const pool = new ReadPool(Math.max(1, Math.min(readAhead, cores)));
  const queue: Promise<RawSample>[] = [];
  const iterator = jobs[Symbol.iterator]();
  const fill = () => {
    while (queue.length < readAhead) {
      const next = iterator.next();
      if (next.done) return;
      const promise = pool.read(next.value, opts);
      promise.catch(() => {}); // handled when it reaches the head of the queue
      queue.push(promise);
    }
  };
  try {
    fill();
    while (queue.length > 0) {
      const raw = await queue.shift()!;
      fill();
      yield raw;
    }
  } finally {
    pool.close();
  }
}
