/**
 * Worker entry: reads and preprocesses samples off the main thread, so file decoding and resizing
 * overlap with the model's computation. Messages: `{ id, entry, opts, draws }` in,
 * `{ id, raw }` or `{ id, error: { name, file?, message } }` out (typed arrays transferred).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { DataError } from "../../kernel/errors.ts";
import { buffersOf } from "./raster.ts";
import { readRawSample } from "./sample_reader.ts";

self.onmessage = async (event: MessageEvent) => {
  const { id, entry, opts, draws } = event.data;
  try {
    const raw = await readRawSample(entry, opts, draws);
    self.postMessage({ id, raw }, buffersOf(raw.label, raw.inst, raw.image, raw.feat));
  } catch (error) {
    const e = error as Error;
    const file = error instanceof DataError ? error.file : undefined;
    const message = file !== undefined ? e.message.slice(file.length + 2) : e.message;
    self.postMessage({ id, error: { name: e.name, file, message } });
  }
};
