/**
 * `export`: a generator or encoder checkpoint (ours or the official `.pth`) to ONNX, to a `.pth` the
 * official PyTorch code loads, or to our `.safetensors` with its config.
 *
 *   deno task export --weights checkpoints/run/latest_net_G.safetensors --format onnx --out G.onnx
 *   deno task export --weights latest_net_G.pth --format safetensors --out latest_net_G.safetensors
 *
 * Exits 2 on wrong usage and when the format cannot represent the network (one line saying what).
 *
 * @module
 */
import { defineCommand, EXIT, main } from "../kernel/cli.ts";
import { OptionsError } from "../kernel/errors.ts";
import { defineSchema } from "../kernel/options.ts";
import { type ExportResult, exportWeights, resolveFormat } from "../plugins/export/export.ts";

const schema = defineSchema({
  weights: {
    type: "string",
    default: null,
    doc:
      "the checkpoint: *_net_G or *_net_E (.safetensors of ours, or an official .pth); *_net_D to pth/safetensors",
  },
  format: {
    type: "string",
    default: null,
    doc: "onnx, pth or safetensors (default: from --out's extension)",
  },
  out: { type: "string", default: null, doc: "the file to write" },
});

function formatResult(r: ExportResult): string {
  return [
    `${r.weights}: ${r.architecture}`,
    `wrote ${r.out} (${r.format}, ${r.tensors} tensors, ${(r.bytes / 2 ** 20).toFixed(2)} MiB) in ${
      r.seconds.toFixed(2)
    } s`,
  ].join("\n");
}

/** The `export` command. */
export const exportCommand = defineCommand({
  name: "export",
  description: "export a generator or encoder to ONNX (opset 17), PyTorch .pth or our .safetensors",
  schema,
  json: true,
  backend: false,
  examples: [
    "deno task export --weights weights/label2city_256p/latest_net_G.safetensors --format onnx --out G.onnx",
    "deno task export --weights latest_net_G.pth --format safetensors --out latest_net_G.safetensors",
    "deno task export --weights checkpoints/mine/latest_net_G.safetensors --format pth --out latest_net_G.pth",
  ],
  async run(ctx) {
    const o = ctx.options;
    if (!o.weights || !o.out) {
      ctx.log.error(`export needs --weights <file> and --out <file> (see --help)`);
      return EXIT.usage;
    }
    try {
      const format = resolveFormat(o.format, o.out);
      ctx.emit(await exportWeights(o.weights, format, o.out), formatResult);
    } catch (error) {
      if (!(error instanceof OptionsError)) throw error;
      ctx.log.error(error.message);
      return EXIT.usage;
    }
  },
});

if (import.meta.main) await main(exportCommand);
