/**
 * `edit`: object-level scene editing from the command line. Opens a scene (a saved scene folder, or a
 * label map + instance map), applies the operations of an ops file (see plugins/editing/ops.ts),
 * synthesizes the result with a trained model, and optionally saves the edited scene.
 *
 *   deno task edit --model checkpoints/label2city_512p_feat --label L.png --inst I.png --list
 *   deno task edit --model checkpoints/label2city_512p_feat --scene my_scene --ops ops.json --out out.png
 *   deno task edit --model checkpoints/label2city_512p_feat --label L.png --inst I.png --previews 26001 --out previews/
 *
 * @module
 */
import { defineCommand, main } from "../kernel/cli.ts";
import { OptionsError } from "../kernel/errors.ts";
import { writeFileAtomic } from "../formats/atomic.ts";
import { defineSchema } from "../kernel/options.ts";
import { loadPalette } from "../plugins/data/palettes/mod.ts";
import { randomStyle, readStyleOption } from "../plugins/features/style_spec.ts";
import { openEditor } from "../plugins/editing/editor.ts";
import { applyOps, readOps } from "../plugins/editing/ops.ts";
import { saveScene } from "../plugins/editing/scene_io.ts";
import { join } from "node:path";
import { tf } from "../backends/tf.ts";
import { imageToPng } from "../plugins/data/write_image.ts";

/** Options of `edit`. */
export const editSchema = defineSchema({
  model: { type: "string", default: null, doc: "the trained model's checkpoint folder" },
  which_epoch: { type: "string", default: "latest", doc: "which checkpoint to load" },
  scene: { type: "string", default: null, doc: "a saved scene folder (label.png, inst.png, features.json)" },
  label: { type: "string", default: null, doc: "or: a label map PNG …" },
  inst: { type: "string", default: null, doc: "… with its 16-bit instance map PNG" },
  clusters: {
    type: "string",
    default: null,
    doc: "clusters file (default: the model folder's clusters_*.json)",
  },
  style: {
    type: "string",
    default: null,
    doc: "initial styles of a scene from maps: car=3,road=0 or a JSON file",
  },
  seed: { type: "int", default: 0, min: 0, doc: "seed of the random initial styles" },
  palette: {
    type: "string",
    default: "cityscapes",
    doc: "class names: cityscapes, ade20k, helen or a JSON palette",
  },
  things: {
    type: "string",
    default: null,
    doc: "thing classes, e.g. 24-33 (default: those with instance ids in the scene)",
  },
  ops: { type: "string", default: null, doc: "JSON list of edit operations to apply" },
  out: { type: "string", default: null, doc: "write the synthesized image here (PNG)" },
  save_scene: { type: "string", default: null, doc: "save the edited scene to this folder" },
  list: { type: "boolean", default: false, doc: "list the scene's instances (after the ops) and stop" },
  previews: {
    type: "int",
    default: null,
    min: 0,
    doc:
      "write this instance's style previews (the official UI's style_forward(click, -1)): one PNG per cluster of its class, into the folder --out",
  },
  preview_context: {
    type: "enum",
    default: "full",
    choices: ["full", "crop"],
    doc:
      "previews from whole images, cropped (exact, as the official UI) or from a window around the instance (fast)",
  },
});

/**
 * Writes one PNG per style of an instance: `<dir>/<id>_style_<k>.png` (k: the cluster).
 *
 * @returns the files written
 */
async function writePreviews(
  editor: Awaited<ReturnType<typeof openEditor>>,
  id: number,
  dir: string,
  context: "full" | "crop",
): Promise<string[]> {
  const strip = await editor.renderer.previewStyles(id, { context });
  const count = editor.scene.clusters!.centres.get(editor.scene.instance(id).classId)!.length;
  const [, h, w] = strip.shape;
  const files: string[] = [];
  try {
    await Deno.mkdir(dir, { recursive: true });
    for (let k = 0; k < count; k++) {
      const one = tf.slice(strip, [0, 0, (k * w) / count, 0], [1, h, w / count, 3]);
      try {
        const file = join(dir, `${id}_style_${k}.png`);
        await writeFileAtomic(file, await imageToPng(one));
        files.push(file);
      } finally {
        one.dispose();
      }
    }
  } finally {
    strip.dispose();
  }
  return files;
}

function parseThings(text: string | null): number[] | undefined {
  if (!text) return undefined;
  const out: number[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) {
      throw new OptionsError(
        "edit",
        "things",
        `must be class ids and ranges like 24-33,40: current value is "${text}"`,
      );
    }
    for (let c = Number(range[1]); c <= Number(range[2] ?? range[1]); c++) out.push(c);
  }
  return out;
}

/** The command. */
export const editCommand = defineCommand({
  name: "edit",
  description: "edit a scene's objects (relabel, remove, paint, paste, restyle) and synthesize it",
  schema: editSchema,
  json: true,
  examples: [
    "deno task edit --model checkpoints/label2city_512p_feat --label L.png --inst I.png --list",
    "deno task edit --model checkpoints/label2city_512p_feat --label L.png --inst I.png --ops ops.json --out out.png",
    "deno task edit --model checkpoints/label2city_512p_feat --label L.png --inst I.png --previews 26001 --out previews/",
  ],
  async run(ctx) {
    const o = ctx.options;
    if (!o.model) {
      throw new OptionsError(
        "edit",
        "model",
        "is required: a trained model's checkpoint folder: current value is null",
      );
    }
    if (!o.list && !o.out && !o.save_scene) {
      throw new OptionsError(
        "edit",
        "out",
        "is required (or --save_scene, or --list): where to write the synthesized image",
      );
    }
    if (o.previews !== null && !o.out) {
      throw new OptionsError("edit", "out", "is required with --previews: the folder for the preview images");
    }
    const classNames = loadPalette(o.palette).names;
    const editor = await openEditor({
      model: o.model,
      which_epoch: o.which_epoch,
      scene: o.scene ?? undefined,
      label: o.label ?? undefined,
      inst: o.inst ?? undefined,
      clusters: o.clusters ?? undefined,
      style: o.style ? await readStyleOption(o.style, classNames, o.seed) : randomStyle(o.seed),
      classNames,
      things: parseThings(o.things),
    });
    try {
      const done = o.ops ? await applyOps(editor.scene, await readOps(o.ops), { file: o.ops }) : [];
      if (o.list) {
        const instances = editor.scene.instances().map((i) => ({
          ...i,
          style: i.style?.cluster ?? i.style?.vector ?? null,
        }));
        ctx.emit(
          { ops: done, instances },
          (r) =>
            r.instances.map((i) =>
              `${i.id}\t${
                i.className || i.classId
              }\t${i.pixels} px\tbox ${i.box.x},${i.box.y} ${i.box.width}×${i.box.height}` +
              (i.style === null ? "" : `\tstyle ${JSON.stringify(i.style)}`)
            ).join("\n"),
        );
        return;
      }
      if (o.previews !== null) {
        const files = await writePreviews(editor, o.previews, o.out!, o.preview_context);
        ctx.emit(
          { ops: done, instance: o.previews, previews: files },
          (r) => [...r.ops, ...r.previews.map((f, k) => `style ${k}: ${f}`)].join("\n"),
        );
        return;
      }
      if (o.save_scene) await saveScene(editor.scene, o.save_scene);
      if (o.out) await writeFileAtomic(o.out, await editor.png());
      ctx.emit(
        { ops: done, out: o.out, scene: o.save_scene },
        (r) =>
          [...r.ops, r.out ? `wrote ${r.out}` : "", r.scene ? `saved the scene to ${r.scene}` : ""].filter(
            Boolean,
          ).join("\n"),
      );
    } finally {
      editor.dispose();
    }
  },
});

if (import.meta.main) await main(editCommand);
