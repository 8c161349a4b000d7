/**
 * The official architecture flags of the commands that load a trained model (synth, encode_features,
 * precompute_feature_maps): the weights decide the architecture (infer.ts), and a flag the user gives
 * is checked against them, so the official command lines (`--netG local --ngf 32 …`) run as written and
 * a wrong one stops with one line naming the flag and the value the weights have.
 *
 * @module
 */
import { defineSchema } from "../../kernel/options.ts";
import { CheckpointError } from "../../kernel/errors.ts";
import type { InferredGenerator } from "./infer.ts";
import type { EncoderOptions } from "./encoder.ts";

const CHECKED = "checked against the weights when given";

/** The generator's architecture flags (official names and defaults). */
export const generatorFlagsSchema = defineSchema({
  netG: { type: "enum", default: "global", choices: ["global", "local"], doc: `generator (${CHECKED})` },
  ngf: { type: "int", default: 64, min: 1, doc: `generator filters of the first conv (${CHECKED})` },
  n_downsample_global: {
    type: "int",
    default: 4,
    min: 0,
    doc: `downsamplings of the global generator (${CHECKED})`,
  },
  n_blocks_global: {
    type: "int",
    default: 9,
    min: 0,
    doc: `residual blocks of the global generator (${CHECKED})`,
  },
  n_local_enhancers: { type: "int", default: 1, min: 1, doc: `local enhancers (${CHECKED}, netG local)` },
  n_blocks_local: {
    type: "int",
    default: 3,
    min: 0,
    doc: `residual blocks per local enhancer (${CHECKED}, netG local)`,
  },
  norm: {
    type: "enum",
    default: "instance",
    choices: ["instance", "batch"],
    doc: `normalisation (${CHECKED})`,
  },
  output_nc: { type: "int", default: 3, min: 1, doc: `output image channels (${CHECKED})` },
});

/** The encoder's architecture flags (official names and defaults). */
export const encoderFlagsSchema = defineSchema({
  nef: { type: "int", default: 16, min: 1, doc: `encoder filters of the first conv (${CHECKED})` },
  n_downsample_E: { type: "int", default: 4, min: 0, doc: `downsamplings of the encoder (${CHECKED})` },
});

/**
 * What the weights say for each generator flag.
 *
 * @param arch the generator's architecture
 * @returns flag → value (the local enhancer's flags only for netG local)
 */
export function generatorFlagValues(arch: InferredGenerator): Record<string, string | number> {
  const o = arch.options;
  const values: Record<string, string | number> = {
    netG: arch.netG,
    ngf: o.ngf,
    n_downsample_global: o.n_downsample_global,
    n_blocks_global: o.n_blocks_global,
    norm: o.norm,
    output_nc: o.output_nc,
  };
  if (arch.netG === "local") {
    values.n_local_enhancers = arch.options.n_local_enhancers;
    values.n_blocks_local = arch.options.n_blocks_local;
  }
  return values;
}

function check(given: Record<string, unknown>, values: Record<string, string | number>, file: string): void {
  for (const [key, value] of Object.entries(given)) {
    if (!(key in values) || value === undefined || value === values[key]) continue;
    throw new CheckpointError(
      file,
      `--${key} ${value} does not match the weights, which have ${key} ${
        values[key]
      }: drop --${key} or pass --${key} ${values[key]}`,
    );
  }
}

/**
 * Checks the generator flags a user gave against the architecture read from the weights. The local
 * enhancer's flags are not checked against a global generator (the official code ignores them there;
 * `--netG local` is what is off then).
 *
 * @param arch the generator's architecture (from {@link inferGenerator} or an opened generator)
 * @param given only the flags the user typed (keys of {@link generatorFlagsSchema}; others are ignored)
 * @param file the weights, named in the error
 * @throws {CheckpointError} naming the first flag that is off and the value the weights have
 */
export function checkGeneratorFlags(
  arch: InferredGenerator,
  given: Record<string, unknown>,
  file: string,
): void {
  check(given, generatorFlagValues(arch), file);
}

/**
 * Checks the encoder flags a user gave (`--nef`, `--n_downsample_E`, `--feat_num`) against the encoder's
 * weights.
 *
 * @param arch the encoder's options (from {@link inferEncoder} or an opened encoder)
 * @param given only the flags the user typed
 * @param file the weights, named in the error
 * @throws {CheckpointError} naming the first flag that is off and the value the weights have
 */
export function checkEncoderFlags(
  arch: Omit<EncoderOptions, "seed">,
  given: Record<string, unknown>,
  file: string,
): void {
  check(given, {
    nef: arch.nef,
    n_downsample_E: arch.n_downsample_E,
    feat_num: arch.feat_num,
  }, file);
}

/**
 * The options a user typed, out of a command's resolved options.
 *
 * @param options the resolved options
 * @param typed the keys typed on the command line
 * @returns only those
 */
export function typedOnly(
  options: Record<string, unknown>,
  typed: ReadonlySet<string>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([key]) => typed.has(key)));
}
