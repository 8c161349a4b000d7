/**
 * Exporting a checkpoint: a generator, encoder or discriminator file (ours or official) to ONNX, to a
 * PyTorch `.pth` the official code loads, or to our `.safetensors` with the config in its metadata.
 * What a format cannot represent is refused with an {@link OptionsError} on "format" naming it.
 *
 * @module
 */
import { basename, extname } from "node:path";
import { OptionsError } from "../../kernel/errors.ts";
import { writeFileAtomic } from "../../formats/atomic.ts";
import { encodeSafetensors } from "../../formats/safetensors.ts";
import { elementCount, type NdArray } from "../../formats/ndarray.ts";
import { CHECKPOINT_FORMAT } from "../train/checkpoint.ts";
import { encoderToOnnx, generatorToOnnx, type OnnxDescription } from "./onnx.ts";
import { encodePth } from "./pth.ts";
import {
  architectureConfig,
  describeArchitecture,
  type ExportArchitecture,
  type ExportSource,
  openExportSource,
} from "./source.ts";

/** The formats `export` writes. */
export const EXPORT_FORMATS = ["onnx", "pth", "safetensors"] as const;
/** An export format. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

const EXTENSIONS: Readonly<Record<string, ExportFormat>> = {
  ".onnx": "onnx",
  ".pth": "pth",
  ".pt": "pth",
  ".safetensors": "safetensors",
};

/** What an export did. */
export interface ExportResult {
  /** The checkpoint read. */
  weights: string;
  /** "G", "E" or "D". */
  network: string;
  /** One line on the architecture. */
  architecture: string;
  format: ExportFormat;
  out: string;
  /** Size of the written file. */
  bytes: number;
  /** Tensors written. */
  tensors: number;
  /** Time taken, read and write included. */
  seconds: number;
}

function refuse(message: string): OptionsError {
  return new OptionsError("export", "format", message);
}

/**
 * The format to write: `--format` when given, else the one `--out`'s extension names.
 *
 * @param format the --format value, or null
 * @param out the output path
 * @returns the format
 * @throws {OptionsError} for an unknown format, a missing one that the extension does not tell, or a
 *   format that contradicts the extension
 */
export function resolveFormat(format: string | null, out: string): ExportFormat {
  const byExtension = EXTENSIONS[extname(out).toLowerCase()];
  if (format === null) {
    if (byExtension) return byExtension;
    throw refuse(
      `is needed: ${out} has no .onnx, .pth or .safetensors extension; pass --format onnx|pth|safetensors`,
    );
  }
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw refuse(`"${format}" is not a format export writes; choose one of ${EXPORT_FORMATS.join(", ")}`);
  }
  if (byExtension && byExtension !== format) {
    throw refuse(`is ${format} but --out ${out} has the extension of ${byExtension}; make them agree`);
  }
  return format as ExportFormat;
}

const NETWORK_NAMES: Readonly<Record<string, string>> = { G: "generator", E: "encoder", D: "discriminator" };

function baseMetadata(source: ExportSource, a: ExportArchitecture, architecture: object, multiple: number) {
  const metadata: Record<string, string> = {
    "pix2pixhd.network": a.net,
    "pix2pixhd.architecture": JSON.stringify(architecture),
    "pix2pixhd.multiple": String(multiple),
    "pix2pixhd.source": basename(source.file),
  };
  if (Object.keys(source.config).length) metadata["pix2pixhd.config"] = JSON.stringify(source.config);
  return metadata;
}

/** What the input channels are, when the checkpoint's config tells (ours do). */
function inputChannels(inputNc: number, c: Record<string, unknown>): string {
  if (typeof c.label_nc !== "number") return `${inputNc} channels`;
  const labels = c.label_nc === 0 ? 3 : c.label_nc;
  const boundary = c.no_instance === true ? 0 : 1;
  const features = inputNc - labels - boundary;
  return `${inputNc} channels = ${c.label_nc === 0 ? "3 image channels" : `${labels} one-hot labels`}` +
    `${boundary ? " + 1 instance boundary" : ""}${
      features > 0 ? ` + ${features} instance-wise features` : ""
    }`;
}

function generatorDescription(source: ExportSource, a: ExportArchitecture & { net: "G" }): OnnxDescription {
  const { netG, options: o } = a.generator;
  const multiple = 2 ** o.n_downsample_global *
    (a.generator.netG === "local" ? 2 ** a.generator.options.n_local_enhancers : 1);
  return {
    doc: `pix2pixHD ${describeArchitecture(a)}. Input "input" [batch, ${o.input_nc}, H, W] float32 NCHW ` +
      `(${
        inputChannels(o.input_nc, source.config)
      }); output "image" [batch, ${o.output_nc}, H, W] in [-1, 1]. ` +
      `H and W: multiples of ${multiple}.`,
    metadata: baseMetadata(source, a, { netG, ...o }, multiple),
  };
}

function encoderDescription(source: ExportSource, a: ExportArchitecture & { net: "E" }): OnnxDescription {
  const e = a.encoder;
  const multiple = 2 ** e.n_downsample_E;
  return {
    doc:
      `pix2pixHD ${
        describeArchitecture(a)
      }. Inputs: "image" [1, ${e.input_nc}, H, W] float32 NCHW in [-1, 1] ` +
      `and "inst" [1, 1, H, W] instance ids as floats; output "features" [1, ${e.feat_num}, H, W], the mean ` +
      `feature of each instance. H and W: multiples of ${multiple}.`,
    metadata: baseMetadata(source, a, e, multiple),
  };
}

/** Protocol buffers cap a message at 2 GiB; ONNX keeps larger weights in external files, not written here. */
const ONNX_MAX_BYTES = 2 ** 31 - 1;

/**
 * Why a state_dict does not fit one ONNX file (its weights as float32 reach protobuf's 2 GiB limit), or null.
 *
 * @param tensors the state_dict
 * @param file the checkpoint, named in the message
 * @returns the one-line reason, or null when it fits
 */
export function onnxSizeProblem(tensors: ReadonlyMap<string, NdArray>, file: string): string | null {
  let bytes = 0;
  for (const a of tensors.values()) bytes += elementCount(a.shape) * 4;
  if (bytes < ONNX_MAX_BYTES - 2 ** 20) return null;
  return `onnx cannot represent ${file}: its weights take ${(bytes / 2 ** 30).toFixed(2)} GiB as float32, ` +
    `and an ONNX file holds at most 2 GiB (larger models need external data files, which export does not write)`;
}

function encode(source: ExportSource, format: ExportFormat): Uint8Array {
  const a = source.architecture;
  const tooLarge = format === "onnx" ? onnxSizeProblem(source.tensors, source.file) : null;
  if (tooLarge) throw refuse(tooLarge);
  if (format === "pth") return encodePth(source.tensors);
  if (format === "safetensors") {
    return encodeSafetensors(source.tensors, {
      format: CHECKPOINT_FORMAT,
      network: a.net,
      config: JSON.stringify({ ...source.config, ...architectureConfig(a) }),
      exported_from: basename(source.file),
    });
  }
  if (a.net === "G") {
    return generatorToOnnx(a.generator, source.tensors, source.file, generatorDescription(source, a));
  }
  if (a.net === "E") {
    return encoderToOnnx(a.encoder, source.tensors, source.file, encoderDescription(source, a));
  }
  throw refuse(
    `onnx cannot represent ${source.file}: it is a ${NETWORK_NAMES[a.net]} (net ${a.net}); ` +
      `ONNX export takes generators (net G) and encoders (net E); pth and safetensors take it`,
  );
}

/**
 * Exports a checkpoint.
 *
 * @param weights the checkpoint (`*_net_G|E|D.safetensors` or `.pth`)
 * @param format "onnx", "pth" or "safetensors" (see {@link resolveFormat})
 * @param out the file to write (atomically)
 * @returns what was written
 * @throws {OptionsError} when the format cannot represent the network
 * @throws {CheckpointError} when the checkpoint is missing, unreadable or not a pix2pixHD network
 * @throws {DataError} when the output cannot be written
 */
export async function exportWeights(
  weights: string,
  format: ExportFormat,
  out: string,
): Promise<ExportResult> {
  const start = performance.now();
  const source = await openExportSource(weights);
  const bytes = encode(source, format);
  await writeFileAtomic(out, bytes);
  return {
    weights,
    network: source.architecture.net,
    architecture: describeArchitecture(source.architecture),
    format,
    out,
    bytes: bytes.length,
    tensors: source.tensors.size,
    seconds: (performance.now() - start) / 1000,
  };
}
