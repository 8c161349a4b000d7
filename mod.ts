/**
 * pix2pixHD for Deno: label maps → photo-realistic images, and object-level scene editing, on
 * TensorFlow.js. This module re-exports the public API; see README.md for a tour.
 *
 * @example
 * ```ts
 * import { pipeline, selectBackend } from "./mod.ts";
 * await selectBackend("auto");
 * ```
 *
 * @module
 */
export { tf } from "./kernel/tf.ts";
export * from "./kernel/errors.ts";
export * from "./kernel/options.ts";
export * from "./kernel/plugin.ts";
export * from "./kernel/registry.ts";
export * from "./kernel/pipeline.ts";
export * from "./kernel/backend.ts";
export * from "./kernel/memory.ts";
export * from "./kernel/random.ts";
export * from "./kernel/log.ts";
export { diagnose } from "./kernel/doctor.ts";
