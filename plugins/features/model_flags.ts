/**
 * The official base options of the scripts that run a trained model's encoder over a dataset
 * (`encode_features`, `precompute_feature_maps`), beyond their dataset flags: the model's data and
 * architecture flags (checked against the checkpoint), the flags that change nothing here
 * (ignored_flags.ts) and the device flags (kernel/device_flags.ts).
 *
 * @module
 */
import { defineSchema } from "../../kernel/options.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import { deviceSchema } from "../../kernel/device_flags.ts";
import {
  checkEncoderFlags,
  checkGeneratorFlags,
  encoderFlagsSchema,
  generatorFlagsSchema,
} from "../networks/arch_flags.ts";
import { LocalEnhancer } from "../networks/local_enhancer.ts";
import type { InferredGenerator } from "../networks/infer.ts";
import { ignoredFlagsSchema } from "../inference/ignored_flags.ts";
import { labelOptionsSchema } from "../data/label_options.ts";
import type { TrainedModel } from "./trained_model.ts";

/** The official base options of encode_features and precompute_feature_maps. */
export const modelFlagsSchema = defineSchema({
  label_nc: { ...labelOptionsSchema.label_nc, doc: "label classes (checked against the model when given)" },
  no_instance: {
    ...labelOptionsSchema.no_instance,
    doc: "no instance maps (checked against the model when given)",
  },
  instance_feat: {
    type: "boolean",
    default: false,
    doc: "instance-wise features (always on here: the official scripts force it)",
  },
  label_feat: { type: "boolean", default: false, doc: "label-wise features (the encoder runs the same way)" },
  feat_num: {
    type: "int",
    default: 3,
    min: 1,
    doc: "encoder output channels (checked against the weights when given)",
  },
  ...generatorFlagsSchema,
  ...encoderFlagsSchema,
  ...ignoredFlagsSchema,
  ...deviceSchema,
});

/**
 * The generator architecture of a loaded model, as {@link inferGenerator} reports it.
 *
 * @param model the loaded model
 * @returns netG and its options
 */
export function modelArchitecture(model: TrainedModel): InferredGenerator {
  const { seed: _seed, ...options } = model.G.options;
  return model.G instanceof LocalEnhancer
    ? { netG: "local", options: options as Extract<InferredGenerator, { netG: "local" }>["options"] }
    : { netG: "global", options: options as Extract<InferredGenerator, { netG: "global" }>["options"] };
}

/**
 * Checks the flags a user gave against a loaded model: the architecture against the weights,
 * `--label_nc` and `--no_instance` against the model's input.
 *
 * @param model the loaded model
 * @param given only the flags typed on the command line
 * @param dir the checkpoint folder, named in errors
 * @throws {CheckpointError} naming the first flag that is off and the value the model has
 */
export function checkModelFlags(model: TrainedModel, given: Record<string, unknown>, dir: string): void {
  checkGeneratorFlags(modelArchitecture(model), given, dir);
  if (model.E) checkEncoderFlags(model.E.options, given, dir);
  for (const [key, value] of [["label_nc", model.label_nc], ["no_instance", model.no_instance]] as const) {
    if (key in given && given[key] !== value) {
      throw new CheckpointError(
        dir,
        `--${key} ${given[key]} does not match the model, which has ${key} ${value}: drop --${key}`,
      );
    }
  }
}
