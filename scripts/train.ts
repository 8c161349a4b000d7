/**
 * `deno task train [options]`: trains pix2pixHD with the official options (`--help` lists them with
 * their defaults). Progress on stderr; checkpoints, `loss_log.jsonl` and the web page
 * `web/index.html` in `<checkpoints_dir>/<name>/`. Ctrl-C saves the `latest` checkpoint and exits
 * (130); a second Ctrl-C exits at once. `--continue_train` resumes exactly where a run stopped.
 *
 * @module
 */
import { defineCommand, main } from "../kernel/cli.ts";
import type { Logger } from "../kernel/log.ts";
import { type TrainOptions, trainSchema } from "../plugins/train/options.ts";
import { train, type TrainResult } from "../plugins/train/trainer.ts";
import { DivergedError } from "../plugins/train/session.ts";

/** Exit code of a run stopped by Ctrl-C (after saving). */
export const EXIT_INTERRUPTED = 130;

/**
 * Runs `train` with Ctrl-C (SIGINT) wired to a clean stop: the first one saves `latest` after the
 * current iteration, a second one exits at once.
 *
 * @param given the options the user typed
 * @param log where messages go
 * @returns how the run ended
 * @throws {DivergedError} and the errors of `train`
 */
export async function trainWithSignals(given: Record<string, unknown>, log: Logger): Promise<TrainResult> {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) Deno.exit(EXIT_INTERRUPTED);
    log.warn(
      "interrupted: saving the latest checkpoint after this iteration (Ctrl-C again to quit without saving)",
    );
    abort.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    return await train(given, { log, signal: abort.signal });
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

/**
 * The options a user typed, for `train` (which checks them against a resumed checkpoint's config).
 *
 * @param options the resolved options
 * @param typed the keys given on the command line
 * @returns only the typed options
 */
export function typedOptions(options: TrainOptions, typed: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([key]) => typed.has(key)));
}

/** The `train` command. */
export const trainCommand = defineCommand({
  name: "train",
  description: "train pix2pixHD (official options and defaults; resumable, Ctrl-C saves)",
  schema: trainSchema,
  examples: [
    "deno task train --name label2city_512p --dataroot datasets/cityscapes --vgg_weights weights/vgg19-dcbb9e9d.pth",
    "deno task train --name label2city_512p --continue_train",
    "deno task train --name tiny --dataroot datasets/cityscapes --label_nc 35 --ngf 8 --no_vgg_loss --debug",
    "deno task train --name faces --dataroot SmithCVPR2013_dataset_resized --no_vgg_loss   # Helen, detected",
    "deno task train --name mine --plugin plugins/examples/paired_folder.ts --dataset paired-folder --dataroot my_pairs --no_vgg_loss",
  ],
  async run(ctx) {
    try {
      const result = await trainWithSignals(typedOptions(ctx.options, ctx.typed), ctx.log);
      return result.status === "interrupted" ? EXIT_INTERRUPTED : 0;
    } catch (error) {
      if (!(error instanceof DivergedError)) throw error;
      ctx.log.error(error.message);
      return 1;
    }
  },
});

if (import.meta.main) await main(trainCommand);
