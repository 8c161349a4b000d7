/**
 * Loading onnxruntime-node (npm, pinned in deno.json), lazily: the tfjs runtime never loads it. Its
 * native library ships for macOS (arm64), Windows and Linux (x64, arm64); where none loads, the error
 * names the runtime and the way back to TensorFlow.js.
 *
 * @module
 */
import type * as Ort from "onnxruntime-node";
import { BackendError } from "../../kernel/errors.ts";

/** The onnxruntime-node module. */
export type OnnxRuntime = typeof Ort;

/** How the module is imported; tests pass one that fails. */
export type OnnxImporter = () => Promise<OnnxRuntime>;

const importOnnxRuntime: OnnxImporter = () => import("onnxruntime-node");

/**
 * Imports onnxruntime-node (the module system keeps it: later calls return the same module).
 *
 * @param importer how to import it (default: the pinned npm package)
 * @returns the module
 * @throws {BackendError} naming the runtime, this platform and `--runtime tfjs` when its native
 *   library does not load
 */
export async function loadOnnxRuntime(importer: OnnxImporter = importOnnxRuntime): Promise<OnnxRuntime> {
  try {
    return await importer();
  } catch (error) {
    const cause = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new BackendError(
      "onnxruntime",
      `the onnxruntime runtime's native library (npm onnxruntime-node) does not load on ` +
        `${Deno.build.os}-${Deno.build.arch}: ${cause}; pass --runtime tfjs (the default) to run the ` +
        `generator on TensorFlow.js instead`,
    );
  }
}

/** Whether onnxruntime-node loads here, for `doctor`. */
export interface OnnxRuntimeProbe {
  /** It loads. */
  loads: boolean;
  /** Its version, or why it does not load. */
  detail: string;
}

/**
 * Tries to load onnxruntime-node.
 *
 * @param importer how to import it (default: the pinned npm package)
 * @returns whether it loads, and its version or the reason
 */
export async function probeOnnxRuntime(importer?: OnnxImporter): Promise<OnnxRuntimeProbe> {
  try {
    const ort = await loadOnnxRuntime(importer);
    return { loads: true, detail: `onnxruntime-node ${ort.env.versions.node ?? "?"}` };
  } catch (error) {
    return { loads: false, detail: (error as Error).message };
  }
}
