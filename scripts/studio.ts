/**
 * `studio`: the scene studio, a local web app to edit a scene and see it re-synthesized (paint, fill,
 * select objects, relabel, delete, duplicate/move, pick their style, undo/redo, upload, save).
 *
 *   deno task studio                                   # the first bundled test scene, the shipped model
 *   deno task studio --model checkpoints/label2city_512p_feat --dataroot datasets/cityscapes
 *   deno task studio --scene L.png --inst I.png --port 8000
 *
 * @module
 */
import { defineCommand, main, UsageError } from "../kernel/cli.ts";
import { defineSchema } from "../kernel/options.ts";
import { OptionsError } from "../kernel/errors.ts";
import { openStudio } from "../plugins/studio/open.ts";

/** Options of `studio`. */
export const studioSchema = defineSchema({
  model: { type: "string", default: "weights/label2city_256p", doc: "the model's checkpoint folder" },
  which_epoch: { type: "string", default: "latest", doc: "which checkpoint to load" },
  scene: {
    type: "string",
    default: null,
    doc: "a label map PNG to open (default: the dataset's first scene)",
  },
  inst: { type: "string", default: null, doc: "its 16-bit instance map PNG" },
  dataroot: {
    type: "string",
    default: "datasets/cityscapes",
    doc: "a dataset folder whose scenes the page lists",
  },
  palette: {
    type: "string",
    default: "cityscapes",
    doc: "class names and colours: cityscapes, ade20k, helen or a JSON palette",
  },
  width: {
    type: "int",
    default: 0,
    min: 0,
    doc: "work at this width (0: the model's training width, or the maps' own)",
  },
  host: { type: "string", default: "127.0.0.1", doc: "address to listen on" },
  port: { type: "int", default: 8765, min: 0, max: 65535, doc: "port (0: any free port)" },
  state: { type: "string", default: "results/studio", doc: "where the sessions' scenes autosave" },
  max_upload_mb: { type: "number", default: 16, min: 0.01, doc: "largest upload accepted, in MiB" },
});

/** Deno.serve, with a busy port or an unknown host said in one line. */
function listen(options: Deno.ServeTcpOptions, handler: Deno.ServeHandler): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve(options, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new OptionsError(
        "studio",
        "port",
        `${options.port} is in use on ${options.hostname}: pick another (0: any free port)`,
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable || /lookup|resolve/i.test((error as Error).message)) {
      throw new OptionsError(
        "studio",
        "host",
        `"${options.hostname}" cannot be listened on here (${(error as Error).message})`,
      );
    }
    throw error;
  }
}

/** The command. */
export const studioCommand = defineCommand({
  name: "studio",
  description: "edit a scene in the browser and see it re-synthesized (a local web app)",
  schema: studioSchema,
  examples: [
    "deno task studio",
    "deno task studio --scene L.png --inst I.png --port 8000",
  ],
  async run(ctx) {
    const o = ctx.options;
    if (o.inst && !o.scene) throw new UsageError(`--inst needs --scene (the label map it belongs to)`);
    const opened = await openStudio({
      model: o.model,
      which_epoch: o.which_epoch,
      scene: o.scene,
      inst: o.inst,
      dataroot: o.dataroot,
      palette: o.palette,
      stateDir: o.state,
      width: o.width,
      maxUploadMb: o.max_upload_mb,
    });
    const ac = new AbortController();
    const stop = () => ac.abort();
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
    try {
      const server = listen({
        hostname: o.host,
        port: o.port,
        signal: ac.signal,
        onListen: ({ hostname, port }) => {
          const host = hostname.includes(":") ? `[${hostname}]` : hostname;
          ctx.print(`studio: http://${host}:${port}/`);
          ctx.log.info(
            `model ${o.model} on ${
              ctx.backend?.name ?? "the default backend"
            }, scene ${opened.defaultScene}` +
              `${opened.width ? ` at width ${opened.width}` : ""}; autosave in ${o.state}; Ctrl-C stops`,
          );
        },
      }, opened.studio.handle);
      await server.finished;
      await opened.studio.flush();
    } finally {
      for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(signal, stop);
      opened.dispose();
    }
  },
});

if (import.meta.main) await main(studioCommand);
