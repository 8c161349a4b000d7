/**
 * `deno task bench <kernels|data|nets|train|profile|studio|fullsize>`: the benchmarks (not timed tests). Each prints a table
 * (or JSON with `--json`). `nets` and `train` set ours beside the official PyTorch code: run case by
 * case in this session with `--peer pytorch --official_repo DIR` (bench/peer/pytorch_peer.py under
 * `--python`), else its dated figures (bench/cases.ts), and the output says which.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type CommandContext, defineCommand, defineGroup, EXIT, main, UsageError } from "../kernel/cli.ts";
import { defineSchema, type OptionsOf } from "../kernel/options.ts";
import { benchKernels } from "../bench/kernels.ts";
import { benchData } from "../bench/data.ts";
import { benchNets } from "../bench/nets.ts";
import { benchTrain } from "../bench/train.ts";
import {
  NET_CASES,
  NET_QUICK_CASES,
  parseForwardCase,
  parseTrainCase,
  TRAIN_CASES,
  TRAIN_QUICK_CASES,
} from "../bench/cases.ts";
import { type PeerConfig, PeerError } from "../bench/peer.ts";
import { formatReport, type SideBySideReport } from "../bench/side_by_side.ts";
import { type ProfileOptions, profileSchema, profileTrainStep } from "../bench/profile.ts";
import { benchStudio } from "../bench/studio.ts";
import { benchFullSize } from "../bench/full_size.ts";

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

/** Options `nets` and `train` share: what runs, how often, and the PyTorch peer. */
const sideBySideOptions = {
  backends: backends("backends to measure, in order", "onednn,wasm"),
  cases: {
    type: "string",
    default: null,
    doc:
      "only these cases, comma-separated: nets global|local[-ngfN]-WxH (ngf 64 global, 32 local), train ngfN-WxH",
  },
  quick: { type: "boolean", default: false, doc: "the smallest case of each kind, one timed run" },
  reps: { type: "int", default: 3, min: 1, doc: "timed runs after the warm-up" },
  rounds: {
    type: "int",
    default: 1,
    min: 1,
    doc:
      "run each case (ours, then PyTorch's) this many times in turn; the ratio is the median of the rounds'",
  },
  peer: {
    type: "enum",
    default: "none",
    choices: ["none", "pytorch"],
    doc: "run the official code beside ours, case by case",
  },
  official_repo: {
    type: "string",
    default: null,
    doc: "a checkout of NVIDIA/pix2pixHD (with --peer pytorch)",
  },
  python: {
    type: "string",
    default: "python3",
    doc: "the Python with torch and torchvision (with --peer pytorch)",
  },
  peer_threads: { type: "int", default: null, min: 1, doc: "torch threads (default: every core, as oneDNN)" },
} as const;

type SideBySideFlags = OptionsOf<ReturnType<typeof defineSchema<typeof sideBySideOptions>>>;

/**
 * Reads the shared flags of `nets` and `train` into the cases, repetitions and peer to run.
 *
 * @param o the flags
 * @param typed the flags the user typed
 * @param defaults the bench's default and `--quick` cases
 * @returns what to run
 * @throws {UsageError} naming the flag when they do not fit together (the command exits 2)
 */
export function sideBySidePlan(
  o: SideBySideFlags,
  typed: ReadonlySet<string>,
  defaults: { cases: string[]; quick: string[] },
): { cases: string[]; backends: string[]; reps: number; rounds: number; peer: PeerConfig | null } {
  if (o.quick && o.cases) throw new UsageError("give --quick or --cases, not both");
  const cases = list(o.cases) ?? (o.quick ? defaults.quick : defaults.cases);
  const backendList = list(o.backends) ?? [];
  if (!backendList.length) throw new UsageError("--backends: give at least one backend");
  const reps = o.quick && !typed.has("reps") ? 1 : o.reps;
  if (o.peer === "none") {
    for (const flag of ["official_repo", "python", "peer_threads", "rounds"]) {
      if (typed.has(flag)) throw new UsageError(`--${flag} is for the peer: add --peer pytorch`);
    }
    return { cases, backends: backendList, reps, rounds: o.rounds, peer: null };
  }
  if (!o.official_repo) {
    throw new UsageError("--peer pytorch needs --official_repo DIR (a checkout of NVIDIA/pix2pixHD)");
  }
  if (!existsSync(join(o.official_repo, "models", "networks.py"))) {
    throw new UsageError(
      `--official_repo ${o.official_repo}: no models/networks.py there; give a checkout of NVIDIA/pix2pixHD`,
    );
  }
  const threads = o.peer_threads ?? navigator.hardwareConcurrency;
  return {
    cases,
    backends: backendList,
    reps,
    rounds: o.rounds,
    peer: { python: o.python, officialRepo: o.official_repo, threads },
  };
}

async function runSideBySideCommand(
  ctx: CommandContext<typeof sideBySideOptions>,
  bench: (plan: ReturnType<typeof sideBySidePlan>) => Promise<SideBySideReport>,
  defaults: { name: string; cases: string[]; quick: string[] },
): Promise<number> {
  const plan = sideBySidePlan(ctx.options, ctx.typed, defaults);
  const parse = defaults.name === "nets" ? parseForwardCase : parseTrainCase;
  try {
    plan.cases.forEach((name) => parse(name));
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  try {
    ctx.emit(await bench(plan), formatReport);
  } catch (error) {
    if (!(error instanceof PeerError)) throw error;
    ctx.log.error(error.message);
    return EXIT.failed;
  }
  return EXIT.ok;
}

const nets = defineCommand({
  name: "nets",
  description:
    `forward time and peak RSS of the official 512p global and 1024p local generators, beside PyTorch (cases ${
      NET_CASES.join(", ")
    })`,
  schema: defineSchema({
    ...sideBySideOptions,
    backends: backends(
      "backends to measure, in order; onnxruntime: the onnxruntime runtime (synth --runtime onnxruntime)",
      "onednn,wasm",
    ),
  }),
  json: true,
  backend: false,
  examples: [
    "deno task bench nets --quick",
    "deno task bench nets --backends onnxruntime --cases global-512x256",
    "deno task bench nets --backends onednn --peer pytorch --official_repo ../pix2pixHD",
    "deno task bench nets --cases local-2048x1024 --peer pytorch --official_repo ../pix2pixHD --python /usr/bin/python3",
  ],
  run: (ctx) =>
    runSideBySideCommand(
      ctx,
      (plan) => benchNets(plan),
      { name: "nets", cases: NET_CASES, quick: NET_QUICK_CASES },
    ),
});

const train = defineCommand({
  name: "train",
  description: `seconds per training iteration (global G, 2 D, VGG19), beside PyTorch (cases ${
    TRAIN_CASES.join(", ")
  })`,
  schema: defineSchema({
    ...sideBySideOptions,
    profile: { type: "boolean", default: false, doc: "also print where an iteration's time goes, by kernel" },
  }),
  json: true,
  backend: false,
  examples: [
    "deno task bench train --quick",
    "deno task bench train --backends onednn --peer pytorch --official_repo ../pix2pixHD",
  ],
  run: (ctx) =>
    runSideBySideCommand(
      ctx,
      (plan) => benchTrain({ ...plan, json: ctx.json, profile: ctx.options.profile }),
      { name: "train", cases: TRAIN_CASES, quick: TRAIN_QUICK_CASES },
    ),
});

const { backend: _backend, json: _json, ...profileOptions } = profileSchema;
const profile = defineCommand({
  name: "profile",
  description: "where a training iteration's time goes, by kernel (time, calls, conv GMAC/s)",
  schema: profileOptions,
  json: true,
  async run(ctx) {
    const profiled = profileSchema.backend.choices as readonly string[];
    const name = ctx.backend?.name ?? "wasm";
    const backend = (profiled.includes(name) ? name : "wasm") as ProfileOptions["backend"];
    await profileTrainStep({ ...ctx.options, backend, json: ctx.json });
  },
});

const studio = defineCommand({
  name: "studio",
  description:
    "studio edit-to-new-image latency, server side: the shipped model, and the official 1024p architecture",
  schema: defineSchema({
    reps: {
      type: "int",
      default: 15,
      min: 1,
      doc: "timed edits per case of the shipped model after the warm-up",
    },
    official: {
      type: "boolean",
      default: false,
      doc: "also the official 1024p architecture at 2048×1024 and at its preview size 512×256",
    },
    official_reps: { type: "int", default: 2, min: 1, doc: "timed edits per 1024p case after the warm-up" },
  }),
  json: true,
  async run(ctx) {
    await benchStudio({ ...ctx.options, json: ctx.json, backend: ctx.backend?.name ?? "default" });
  },
});

const fullsize = defineCommand({
  name: "fullsize",
  description:
    "the official 1024p generator at 2048×1024 beside ours on each backend: agreement, time, peak memory",
  schema: defineSchema({
    official_repo: {
      type: "string",
      default: null,
      doc: "a checkout of NVIDIA/pix2pixHD (its code runs the reference; required)",
    },
    python: { type: "string", default: "python3", doc: "the Python with torch and Pillow" },
    backends: backends("our backends, in order", "onednn,wasm"),
    label: { type: "string", default: null, doc: "label map (default: the checkout's first test scene)" },
    inst: { type: "string", default: null, doc: "its instance map" },
    workdir: { type: "string", default: null, doc: "keep weights and images here (default: a temp folder)" },
    ngf: { type: "int", default: 32, min: 1, doc: "generator width (the released 1024p model: 32)" },
    n_blocks_global: { type: "int", default: 9, min: 1, doc: "global res-blocks" },
    n_blocks_local: { type: "int", default: 3, min: 1, doc: "local res-blocks" },
  }),
  json: true,
  backend: false,
  async run(ctx) {
    const { official_repo, backends } = ctx.options;
    if (official_repo === null) {
      throw new UsageError("bench fullsize needs --official_repo DIR (a pix2pixHD checkout)");
    }
    await benchFullSize({ ...ctx.options, official_repo, backends: list(backends)!, json: ctx.json });
  },
});

/** The `bench` command group. */
export const benchCommand = defineGroup({
  name: "bench",
  description: "benchmarks: kernels, data, nets, train, profile, studio, fullsize",
  commands: [kernels, data, nets, train, profile, studio, fullsize],
});

if (import.meta.main) await main(benchCommand);
