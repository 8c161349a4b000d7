/**
 * `inspect`: describe a label map, or check a whole dataset before training.
 *
 *   deno run -A scripts/inspect.ts <label.png> [--inst <inst.png>] [--label_nc N] [--palette NAME] [--json]
 *   deno run -A scripts/inspect.ts --dataroot DIR [--label_nc N] [--phase train] [--dataset auto] [--json]
 *
 * Exits 1 when a problem is found (every problem is listed), 2 on wrong usage.
 *
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { isUserError } from "../kernel/errors.ts";
import { log, type Progress } from "../kernel/log.ts";
import {
  type DatasetReport,
  inspectDataset,
  inspectLabel,
  type LabelReport,
} from "../plugins/data/inspect.ts";
import type { Palette } from "../plugins/data/palette.ts";
import { loadPalette } from "../plugins/data/palettes/mod.ts";
import type { Problem } from "../plugins/data/source.ts";

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be an integer ≥ 0");
  return n;
}

function printProblems(problems: Problem[]): void {
  if (problems.length === 0) {
    console.log("no problems found");
    return;
  }
  console.log(`${problems.length} problem(s):`);
  for (const p of problems) console.log(`  ${p.file}: ${p.message}`);
}

function printLabel(r: LabelReport, palette?: Palette): void {
  const name = (id: number) => (palette?.names[id] ? ` ${palette.names[id]}` : "");
  console.log(`${r.file}: ${r.width}×${r.height}, ${r.bitDepth}-bit, ${r.channels} channel(s)`);
  console.log(`classes (id → pixels):`);
  for (const [id, px] of Object.entries(r.histogram)) console.log(`  ${id}${name(Number(id))}: ${px}`);
  if (r.instances) {
    console.log(`instances in ${r.instFile} (${r.instBitDepth}-bit; id → class, pixels, bbox x0,y0,x1,y1):`);
    for (const i of r.instances) {
      console.log(`  ${i.id} → ${i.class}${name(i.class)}, ${i.pixels} px, bbox ${i.bbox.join(",")}`);
    }
  }
  console.log(
    `boundary pixels: ${r.boundaryPixels} (from the ${
      r.boundarySource === "inst" ? "instance" : "label"
    } map)`,
  );
  printProblems(r.problems);
}

function printDataset(r: DatasetReport): void {
  console.log(`${r.root}: ${r.dataset} layout, phase ${r.phase}, ${r.samples} complete sample(s)`);
  for (const [role, dir] of Object.entries(r.folders)) {
    console.log(`  ${role}: ${dir} (${r.counts[role] ?? 0} files)`);
  }
  console.log(`sizes: ${Object.entries(r.sizes).map(([s, n]) => `${s} ×${n}`).join(", ") || "none"}`);
  console.log(`label ids: ${Object.keys(r.histogram).join(" ") || "none"} (max ${r.maxLabelId})`);
  console.log(`label_nc: ${r.label_nc ?? "not given"}`);
  if (r.suggestedLabelNc !== undefined) console.log(`suggested label_nc: ${r.suggestedLabelNc}`);
  printProblems(r.problems);
}

/**
 * Runs the command.
 *
 * @param args command-line arguments
 * @returns the exit code (0 ok, 1 problems found)
 */
export async function main(args: string[]): Promise<number> {
  const program = new Command()
    .name("inspect")
    .description("Describe a label map, or check a whole dataset before training")
    .argument("[label]", "a label map (PNG)")
    .option("--inst <file>", "its instance map")
    .option("--dataroot <dir>", "check a whole dataset instead")
    .option("--label_nc <n>", "number of label classes", intArg)
    .option("--phase <phase>", "dataset phase", "train")
    .option("--dataset <layout>", "auto, aligned, cityscapes, ade20k or helen", "auto")
    .option("--no_instance", "do not check instance maps")
    .option("--palette <name>", "palette (cityscapes, ade20k, helen or a JSON file): names, RGB label maps")
    .option("--json", "print the report as JSON")
    .exitOverride()
    .configureOutput({ writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)) });
  try {
    program.parse(args, { from: "user" });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode ?? 2;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts();
  const label = program.args[0];
  if (!label === !o.dataroot) {
    log.error("give either a label map or --dataroot DIR (see --help)");
    return 2;
  }
  try {
    const palette = o.palette ? loadPalette(o.palette) : undefined;
    if (o.dataroot) {
      let progress: Progress | undefined;
      const report = await inspectDataset(o.dataroot, {
        dataset: o.dataset,
        phase: o.phase,
        label_nc: o.label_nc,
        no_instance: o.no_instance ?? false,
        label_palette: o.palette ?? null,
        onProgress: (done, total) => {
          if (o.json || total === 0) return;
          progress ??= log.progress("reading", total);
          if (done > 0) progress.tick();
        },
      });
      progress?.stop();
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else printDataset(report);
      return report.problems.length ? 1 : 0;
    }
    const report = await inspectLabel(label, { inst: o.inst, label_nc: o.label_nc, palette });
    if (o.json) console.log(JSON.stringify(report, null, 2));
    else printLabel(report, palette);
    return report.problems.length ? 1 : 0;
  } catch (error) {
    if (!isUserError(error)) throw error;
    log.error(error.message);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
