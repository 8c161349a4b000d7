/**
 * The official device and precision flags (`--gpu_ids`, `--fp16`, `--data_type`, `--tf_log`), declared
 * once for every command that takes the official base options (synth, train, encode_features,
 * precompute_feature_maps), and what they mean here:
 *
 * - `--gpu_ids -1` runs on the CPU (`auto` skips the GPU backends; a GPU backend named with `--backend`
 *   is a usage error);
 * - `--gpu_ids N` picks GPU N where the backend can (TensorFlow's CUDA build, through
 *   `CUDA_VISIBLE_DEVICES`); other backends say what they run on;
 * - more than one id, `--fp16`, `--data_type 8|16` and `--tf_log` are refused with one line saying why
 *   and what to use instead (the CLI layer turns the error into exit code 2).
 *
 * @module
 */
import { defineSchema } from "./options.ts";
import { OptionsError } from "./errors.ts";

/** The device and precision flags of the official base options. */
export const deviceSchema = defineSchema({
  gpu_ids: {
    type: "string",
    default: null,
    doc:
      "official GPU ids: -1 runs on the CPU, one id picks that GPU where the backend can; multi-GPU is not supported (default: the backend's choice)",
  },
  fp16: {
    type: "boolean",
    default: false,
    doc: "not supported (TensorFlow.js computes in float32; no mixed precision)",
  },
  data_type: {
    type: "int",
    default: 32,
    min: 8,
    max: 32,
    doc: "bits per value: only 32 runs here (8 and 16 are refused)",
  },
  tf_log: {
    type: "boolean",
    default: false,
    doc: "not supported (no TensorBoard writer; the losses are in loss_log.jsonl and web/index.html)",
  },
});

/** Where the user asked a command to run. */
export interface DeviceRequest {
  /** `--gpu_ids -1`: the CPU only. */
  cpu: boolean;
  /** `--gpu_ids N`: GPU N, or null when no id was given. */
  gpu: number | null;
}

/** The flags of {@link deviceSchema} as a command's options hold them. */
export interface DeviceFlags {
  gpu_ids: string | null;
  fp16: boolean;
  data_type: number;
  tf_log: boolean;
}

/**
 * Checks the device and precision flags and says where to run.
 *
 * @param command the command's name, for errors
 * @param flags the resolved flags
 * @returns the CPU, one GPU, or no preference
 * @throws {OptionsError} for more than one GPU id, a malformed list, `--fp16`, `--data_type` other than
 *   32 and `--tf_log`, each with the reason and what to use instead
 */
export function deviceRequest(command: string, flags: DeviceFlags): DeviceRequest {
  if (flags.fp16) {
    throw new OptionsError(
      command,
      "fp16",
      "is not supported: TensorFlow.js computes in float32 (no mixed precision); drop --fp16",
    );
  }
  if (flags.data_type !== 32) {
    throw new OptionsError(
      command,
      "data_type",
      `${flags.data_type} is not supported: TensorFlow.js computes in float32 ` +
        `(the official ${
          flags.data_type === 8 ? "8-bit path is TensorRT's" : "16-bit path is PyTorch's half()"
        }); ` +
        "drop --data_type (32 is what runs)",
    );
  }
  if (flags.tf_log) {
    throw new OptionsError(
      command,
      "tf_log",
      "is not supported: there is no TensorBoard writer here; the losses are in " +
        "<checkpoints_dir>/<name>/loss_log.jsonl and plotted on <checkpoints_dir>/<name>/web/index.html; drop --tf_log",
    );
  }
  if (flags.gpu_ids === null) return { cpu: false, gpu: null };
  const parts = flags.gpu_ids.split(",").map((s) => s.trim());
  if (parts.some((s) => !/^-?\d+$/.test(s))) {
    throw new OptionsError(
      command,
      "gpu_ids",
      `must be GPU ids such as 0 or 0,1, or -1 for the CPU: current value is ${
        JSON.stringify(flags.gpu_ids)
      }`,
    );
  }
  // as the official code: negative ids are dropped, none left means the CPU
  const ids = parts.map(Number).filter((id) => id >= 0);
  if (ids.length > 1) {
    throw new OptionsError(
      command,
      "gpu_ids",
      `${flags.gpu_ids} names ${ids.length} GPUs: multi-GPU is not supported; pass one id (--gpu_ids ${
        ids[0]
      }) or -1 for the CPU`,
    );
  }
  return ids.length === 0 ? { cpu: true, gpu: null } : { cpu: false, gpu: ids[0] };
}
