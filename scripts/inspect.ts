/**
 * `inspect`: describe a label map, or check a whole dataset before training.
 *
 *   deno run -A scripts/inspect.ts <label.png> [--inst <inst.png>] [--label_nc N] [--palette NAME] [--json]
 *   deno run -A scripts/inspect.ts --dataroot DIR [--label_nc N] [--phase train] [--dataset NAME] [--plugin PATH] [--json]
 *
 * Exits 1 when a problem is found (every problem is listed), 2 on wrong usage.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { defineCommand, EXIT, main } from "../kernel/cli.ts";
import { defineSchema } from "../kernel/options.ts";
import type { Progress } from "../kernel/log.ts";
import {
  type DatasetReport,
  inspectDataset,
  inspectLabel,
  type LabelReport,
} from "../plugins/data/inspect.ts";
import type { Palette } from "../plugins/data/palette.ts";
import { loadPalette } from "../plugins/data/palettes/mod.ts";
import { labelOptionsSchema } from "../plugins/data/label_options.ts";
import { datasetOptionSchema, loadDatasetOption } from "../plugins/data/dataset_option.ts";
import type { Problem } from "../plugins/data/source.ts";
import { resolveShard, shardSchema } from "../kernel/shard.ts";
import { ShardJob } from "../kernel/shard_job.ts";
import { writeFileAtomic } from "../formats/atomic.ts";

function problemLines(problems: Problem[]): string[] {
  if (problems.length === 0) return ["no problems found"];
  return [`${problems.length} problem(s):`, ...problems.map((p) => `  ${p.file}: ${p.message}`)];
}

function formatLabel(r: LabelReport, palette?: Palette): string {
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);
  const name = (id: number) => (palette?.names[id] ? ` ${palette.names[id]}` : "");
  say(`${r.file}: ${r.width}×${r.height}, ${r.bitDepth}-bit, ${r.channels} channel(s)`);
  say(`classes (id → pixels):`);
  for (const [id, px] of Object.entries(r.histogram)) say(`  ${id}${name(Number(id))}: ${px}`);
  if (r.instances) {
    say(`instances in ${r.instFile} (${r.instBitDepth}-bit; id → class, pixels, bbox x0,y0,x1,y1):`);
    for (const i of r.instances) {
      say(`  ${i.id} → ${i.class}${name(i.class)}, ${i.pixels} px, bbox ${i.bbox.join(",")}`);
    }
  }
  say(
    `boundary pixels: ${r.boundaryPixels} (from the ${
      r.boundarySource === "inst" ? "instance" : "label"
    } map)`,
  );
  lines.push(...problemLines(r.problems));
  return lines.join("\n");
}

function formatDataset(r: DatasetReport): string {
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);
  say(`${r.root}: ${r.dataset} layout, phase ${r.phase}, ${r.samples} complete sample(s)`);
  for (const [role, dir] of Object.entries(r.folders)) {
    say(`  ${role}: ${dir} (${r.counts[role] ?? 0} files)`);
  }
  say(`sizes: ${Object.entries(r.sizes).map(([s, n]) => `${s} ×${n}`).join(", ") || "none"}`);
  say(`label ids: ${Object.keys(r.histogram).join(" ") || "none"} (max ${r.maxLabelId})`);
  say(`label_nc: ${r.label_nc ?? "not given"}`);
  if (r.suggestedLabelNc !== undefined) say(`suggested label_nc: ${r.suggestedLabelNc}`);
  lines.push(...problemLines(r.problems));
  return lines.join("\n");
}

const schema = defineSchema({
  inst: { type: "string", default: null, doc: "its instance map" },
  dataroot: { type: "string", default: null, doc: "check a whole dataset instead" },
  label_nc: {
    ...labelOptionsSchema.label_nc,
    default: null,
    doc: "number of label classes (suggested when not given)",
  },
  phase: { type: "string", default: "train", doc: "dataset phase" },
  ...datasetOptionSchema,
  no_instance: { ...labelOptionsSchema.no_instance, doc: "do not check instance maps" },
  palette: {
    type: "string",
    default: null,
    doc: "palette (cityscapes, ade20k, helen or a JSON file): names, RGB label maps",
  },
  ...shardSchema,
  shard_dir: {
    type: "string",
    default: null,
    doc: "with a shard: where its report and manifest go (default results/inspect/<dataroot name>_<phase>)",
  },
});

/** The `inspect` command: exits 1 when a problem is found (every problem is listed). */
export const inspectCommand = defineCommand({
  name: "inspect",
  description: "describe a label map, or check a whole dataset before training",
  schema,
  positional: [{ name: "label", doc: "a label map (PNG)", required: false }],
  json: true,
  backend: false,
  examples: [
    "deno task inspect datasets/cityscapes/test_label/x.png --inst datasets/cityscapes/test_inst/x.png",
    "deno task inspect --dataroot datasets/cityscapes --label_nc 35",
    "deno task inspect --dataroot datasets/cityscapes --label_nc 35 --shard 2/3",
    "deno task inspect --dataroot ADEChallengeData2016 --dataset ade20k",
    "deno task inspect --dataroot my_pairs --plugin plugins/examples/paired_folder.ts",
  ],
  async run(ctx) {
    const o = ctx.options;
    await loadDatasetOption(o);
    const label = ctx.args.label as string | undefined;
    if (!label === !o.dataroot) {
      ctx.log.error("give either a label map or --dataroot DIR (see --help)");
      return EXIT.usage;
    }
    const shard = resolveShard(o, (name) => Deno.env.get(name), label ? "one label map" : undefined);
    const palette = o.palette ? loadPalette(o.palette) : undefined;
    if (o.dataroot) {
      const shardDir = o.shard_dir ??
        join("results", "inspect", `${basename(resolve(o.dataroot))}_${o.phase}`);
      let job: ShardJob | undefined;
      let progress: Progress | undefined;
      const report = await inspectDataset(o.dataroot, {
        dataset: o.dataset,
        phase: o.phase,
        label_nc: o.label_nc ?? undefined,
        no_instance: o.no_instance,
        label_palette: o.palette,
        onProgress: (done, total) => {
          if (ctx.json || total === 0) return;
          progress ??= ctx.log.progress("reading", total);
          if (done > 0) progress.tick();
        },
        select: shard
          ? (names) => {
            job = new ShardJob("inspect", names, shard, shardDir);
            ctx.log.info(job.describe(names.length));
            return new Set(job.inputs);
          }
          : undefined,
      });
      progress?.stop();
      if (job?.shard) {
        const file = join(shardDir, `report-${job.shard.index + 1}-of-${job.shard.count}.json`);
        await Deno.mkdir(shardDir, { recursive: true });
        await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(report, null, 2) + "\n"));
        job.wrote(file);
        await job.finish();
      }
      ctx.emit(report, formatDataset);
      return report.problems.length ? 1 : 0;
    }
    const report = await inspectLabel(label!, {
      inst: o.inst ?? undefined,
      label_nc: o.label_nc ?? undefined,
      palette,
    });
    ctx.emit(report, (r) => formatLabel(r, palette));
    return report.problems.length ? 1 : 0;
  },
});

if (import.meta.main) await main(inspectCommand);
