/**
 * Which runtime runs the generator at inference: TensorFlow.js on the selected backend (`--backend`),
 * or onnxruntime's native CPU kernels (npm `onnxruntime-node`, for macOS, Windows and Linux), which run
 * the generator exported in memory to ONNX. Both take and give the same tensors; the data stages
 * (reading, one-hot, boundaries, features, resizing) run on TensorFlow.js either way.
 *
 * @module
 */
import { defineSchema, type OptionsOf } from "../../kernel/options.ts";

/** The runtimes, in the order `--help` lists them. */
export const RUNTIMES = ["tfjs", "onnxruntime"] as const;

/** A runtime's name. */
export type RuntimeName = (typeof RUNTIMES)[number];

/** The inference runtime options of synthesis, the demo and the `generate` stage. */
export const runtimeSchema = defineSchema({
  runtime: {
    type: "enum",
    default: "tfjs",
    choices: RUNTIMES,
    doc:
      "runs the generator: tfjs (the selected --backend) or onnxruntime (native CPU kernels of npm onnxruntime-node; faster where oneDNN is missing)",
  },
  intra_op_threads: {
    type: "int",
    default: null,
    min: 1,
    doc: "onnxruntime's threads per operator (default: every core, navigator.hardwareConcurrency)",
  },
});

/** Resolved runtime options. */
export type RuntimeOptions = OptionsOf<typeof runtimeSchema>;

/**
 * The intra-op thread count onnxruntime runs with.
 *
 * @param o the runtime options
 * @returns `intra_op_threads`, else the number of cores
 */
export function intraOpThreads(o: Pick<RuntimeOptions, "intra_op_threads">): number {
  return o.intra_op_threads ?? navigator.hardwareConcurrency;
}
