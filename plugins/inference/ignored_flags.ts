/**
 * Official base options that change nothing when a trained model is run (synth, encode_features,
 * precompute_feature_maps) — the official test.py and feature scripts force or ignore them too — so
 * the official command lines parse. A value that differs from the official default gets one warning
 * saying it is ignored and why.
 *
 * @module
 */
import { defineSchema } from "../../kernel/options.ts";
import type { Logger } from "../../kernel/log.ts";

/** The ignored flags, with the official defaults and why each is ignored. */
export const ignoredFlagsSchema = defineSchema({
  model: {
    type: "enum",
    default: "pix2pixHD",
    choices: ["pix2pixHD"],
    doc: "which model (only pix2pixHD)",
  },
  input_nc: {
    type: "int",
    default: 3,
    min: 3,
    max: 3,
    doc: "image channels with --label_nc 0: images are read as RGB, 3 channels",
  },
  batchSize: {
    type: "int",
    default: 1,
    min: 1,
    doc: "ignored: images run one at a time (the official scripts force 1)",
  },
  nThreads: {
    type: "int",
    default: 2,
    min: 0,
    doc: "ignored: files are read one at a time (the official scripts force 1)",
  },
  serial_batches: {
    type: "boolean",
    default: false,
    doc: "ignored: images are always taken in order (the official scripts force it)",
  },
  no_flip: {
    type: "boolean",
    default: false,
    doc: "ignored: images are never flipped (the official scripts force it)",
  },
  use_dropout: {
    type: "boolean",
    default: false,
    doc: "ignored: pix2pixHD's networks have no dropout (the official code ignores it too)",
  },
  niter_fix_global: { type: "int", default: 0, min: 0, doc: "ignored: a training option" },
  load_features: {
    type: "boolean",
    default: false,
    doc: "ignored: a training option (the official inference does not use loaded feature maps)",
  },
  display_winsize: {
    type: "int",
    default: 512,
    min: 1,
    doc: "ignored: reports show images at their own size",
  },
  verbose: { type: "boolean", default: false, doc: "say the architecture read from the weights" },
});

const FORCED = new Set(["batchSize", "nThreads", "serial_batches", "no_flip"]);

/**
 * Warns once for each ignored flag the user set to something other than its default.
 *
 * @param command the command's name
 * @param options the resolved options
 * @param typed the keys typed on the command line
 * @param log where the warnings go
 * @returns the keys warned about
 */
export function warnIgnoredFlags(
  command: string,
  options: Record<string, unknown>,
  typed: ReadonlySet<string>,
  log: Logger,
): string[] {
  const warned: string[] = [];
  for (const [key, spec] of Object.entries(ignoredFlagsSchema)) {
    if (key === "verbose" || !typed.has(key) || options[key] === spec.default) continue;
    const why = spec.doc.replace(/^ignored: /, "");
    const value = spec.type === "boolean" ? "" : ` ${options[key]}`;
    log.warn(`${command}: --${key}${value} is ignored${FORCED.has(key) ? " at inference" : ""}: ${why}`);
    warned.push(key);
  }
  return warned;
}
