/**
 * `deno task bench <kernels|data|nets|train|profile>`: the benchmarks (not timed tests). Each prints a table
 * (or JSON with `--json`) with the official PyTorch code's figures on this project's CPU where the
 * issue asks for ratios (`../shared/reference-figures.md`, copied into the bench files).
 *
 * @module
 */
import { defineCommand, defineGroup, main } from "../kernel/cli.ts";
import { defineSchema } from "../kernel/options.ts";
import { benchKernels } from "../bench/kernels.ts";
import { benchData } from "../bench/data.ts";
import { benchNets } from "../bench/nets.ts";
import { benchTrain } from "../bench/train.ts";
import { profileSchema, profileTrainStep } from "../bench/profile.ts";

const list = (text: string | null) => text ? text.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
const backends = (doc: string, def: string) => ({ type: "string", default: def, doc } as const);

const kernels = defineCommand({
  name: "kernels",
  description: "conv forward and forward+backward GMAC/s of the global generator's shapes at 256×128",
  schema: defineSchema({ backends: backends("backends to measure, in order", "onednn,wasm,cpu") }),
  json: true,
  backend: false,
  async run(ctx) {
    await benchKernels({ backends: list(ctx.options.backends)!, json: ctx.json });
  },
});

const data = defineCommand({
  name: "data",
  description:
    "samples/s to read and preprocess a Cityscapes triple, alone and prefetched beside a busy model",
  json: true,
  async run(ctx) {
    await benchData({ json: ctx.json });
  },
});

const nets = defineCommand({
  name: "nets",
  description: "inference time of the official 512p global generator and 1024p local enhancer vs PyTorch",
  schema: defineSchema({
    backends: backends("backends to measure, in order", "onednn,wasm"),
    cases: { type: "string", default: null, doc: "only these cases (comma-separated)" },
  }),
  json: true,
  backend: false,
  async run(ctx) {
    await benchNets({
      backends: list(ctx.options.backends)!,
      json: ctx.json,
      cases: list(ctx.options.cases),
    });
  },
});

const train = defineCommand({
  name: "train",
  description: "seconds per training iteration (global G ngf 32/64, 2 D, VGG19) vs PyTorch",
  schema: defineSchema({
    backends: backends("backends to measure, in order", "onednn,wasm"),
    cases: { type: "string", default: null, doc: "only these cases (comma-separated)" },
    reps: { type: "int", default: 3, min: 1, doc: "timed iterations after the warm-up" },
    profile: { type: "boolean", default: false, doc: "also print where an iteration's time goes, by kernel" },
  }),
  json: true,
  backend: false,
  async run(ctx) {
    const o = ctx.options;
    await benchTrain({
      backends: list(o.backends)!,
      json: ctx.json,
      cases: list(o.cases),
      reps: o.reps,
      profile: o.profile,
    });
  },
});

const { backend: _backend, json: _json, ...profileOptions } = profileSchema;
const profile = defineCommand({
  name: "profile",
  description: "where a training iteration's time goes, by kernel (time, calls, conv GMAC/s)",
  schema: profileOptions,
  json: true,
  async run(ctx) {
    const backend = ctx.backend?.name === "onednn" || ctx.backend?.name === "cpu" ? ctx.backend.name : "wasm";
    await profileTrainStep({ ...ctx.options, backend, json: ctx.json });
  },
});

/** The `bench` command group. */
export const benchCommand = defineGroup({
  name: "bench",
  description: "benchmarks: kernels, data, nets, train, profile",
  commands: [kernels, data, nets, train, profile],
});

if (import.meta.main) await main(benchCommand);
