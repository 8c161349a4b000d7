/**
 * `deno run -A scripts/train_1024p.ts [options]`: the official coarse-to-fine Cityscapes recipe
 * (scripts/train_1024p_24G.sh) in two stages:
 *
 * 1. `<name>_512p`: the global generator with the given options (official defaults: 1024×512);
 * 2. `<name>_1024p`: `--netG local --ngf 32 --num_D 3 --load_pretrain <stage 1> --niter 50
 *    --niter_decay 50 --niter_fix_global 10 --resize_or_crop none`, the other options passed through.
 *
 * `--continue_train` resumes whichever stage has a checkpoint; a finished first stage is skipped.
 *
 * @module
 */
import { join } from "node:path";
import { defineCommand, main } from "../kernel/cli.ts";
import { defineSchema, diffFromDefaults, type OptionsOf } from "../kernel/options.ts";
import type { Logger } from "../kernel/log.ts";
import { trainSchema } from "../plugins/train/options.ts";
import { readCheckpointInfo } from "../plugins/train/checkpoint.ts";
import { totalEpochs } from "../plugins/train/schedule.ts";
import { DivergedError } from "../plugins/train/session.ts";
import { EXIT_INTERRUPTED, trainWithSignals } from "./train.ts";

/** The training options plus the second stage's recipe (official values as defaults). */
export const recipeSchema = defineSchema({
  ...trainSchema,
  stage: { type: "enum", default: "both", choices: ["both", "512p", "1024p"], doc: "which stage(s) to run" },
  ngf_1024p: { type: "int", default: 32, min: 1, doc: "stage 2: filters of the finest enhancer" },
  num_D_1024p: { type: "int", default: 3, min: 1, doc: "stage 2: number of discriminators" },
  niter_1024p: { type: "int", default: 50, min: 0, doc: "stage 2: epochs at the starting learning rate" },
  niter_decay_1024p: { type: "int", default: 50, min: 0, doc: "stage 2: epochs of linear decay" },
  niter_fix_global_1024p: {
    type: "int",
    default: 10,
    min: 0,
    doc: "stage 2: epochs with the global part fixed",
  },
});

/** The recipe's options. */
export type RecipeOptions = OptionsOf<typeof recipeSchema>;

/** One stage: its name and the options `train` gets. */
export interface Stage {
  /** "512p" or "1024p". */
  label: string;
  /** The options typed for this stage. */
  given: Record<string, unknown>;
}

/**
 * The two stages of the recipe.
 *
 * @param options the recipe's options
 * @returns the stages to run, in order (one or two, after `--stage`)
 */
export function recipeStages(options: RecipeOptions): Stage[] {
  const typed: Record<string, unknown> = diffFromDefaults(recipeSchema, options);
  const passed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(typed)) if (key in trainSchema) passed[key] = value;
  const first = `${options.name}_512p`;
  const stages: Stage[] = [
    { label: "512p", given: { ...passed, name: first } },
    {
      label: "1024p",
      given: {
        ...passed,
        name: `${options.name}_1024p`,
        netG: "local",
        ngf: options.ngf_1024p,
        num_D: options.num_D_1024p,
        niter: options.niter_1024p,
        niter_decay: options.niter_decay_1024p,
        niter_fix_global: options.niter_fix_global_1024p,
        resize_or_crop: "none",
        load_pretrain: join(options.checkpoints_dir, first),
      },
    },
  ];
  return stages.filter((s) => options.stage === "both" || options.stage === s.label);
}

/**
 * Runs the stages in order: each continues from its own checkpoint when `continue_train` is given
 * and one exists (then without `load_pretrain`), and a stage already finished is skipped.
 *
 * @param stages from `recipeStages`
 * @param log where messages go
 * @returns "finished", or "interrupted" when Ctrl-C stopped a stage
 */
export async function runStages(stages: Stage[], log: Logger): Promise<"finished" | "interrupted"> {
  for (const stage of stages) {
    const dir = join(
      String(stage.given.checkpoints_dir ?? trainSchema.checkpoints_dir.default),
      String(stage.given.name),
    );
    const info = stage.given.continue_train
      ? await readCheckpointInfo(dir, String(stage.given.which_epoch ?? "latest"))
      : null;
    const given: Record<string, unknown> = { ...stage.given, continue_train: info !== null };
    if (info) delete given.load_pretrain;
    const epochs = totalEpochs({
      lr: 0,
      niter: Number(given.niter ?? info?.config.niter ?? trainSchema.niter.default),
      niter_decay: Number(given.niter_decay ?? info?.config.niter_decay ?? trainSchema.niter_decay.default),
    });
    if (info && Number(info.trainer.epoch) > epochs) {
      log.info(`stage ${stage.label} (${given.name}) has finished: skipping it`);
      continue;
    }
    log.info(`stage ${stage.label}: training ${given.name}`);
    const result = await trainWithSignals(given, log);
    if (result.status === "interrupted") return "interrupted";
  }
  return "finished";
}

/** The `train_1024p` command. */
export const train1024pCommand = defineCommand({
  name: "train_1024p",
  description: "the official 512p → 1024p Cityscapes recipe in two stages (options pass through)",
  schema: recipeSchema,
  examples: [
    "deno run -A scripts/train_1024p.ts --name label2city --dataroot datasets/cityscapes --vgg_weights weights/vgg19-dcbb9e9d.pth",
    "deno run -A scripts/train_1024p.ts --name label2city --continue_train",
  ],
  async run(ctx) {
    try {
      return (await runStages(recipeStages(ctx.options), ctx.log)) === "interrupted" ? EXIT_INTERRUPTED : 0;
    } catch (error) {
      if (!(error instanceof DivergedError)) throw error;
      ctx.log.error(error.message);
      return 1;
    }
  },
});

if (import.meta.main) await main(train1024pCommand);
