/**
 * `.pth` export: a state_dict as `torch.save` (PyTorch ≥ 1.6) writes it, so that the official code's
 * `net.load_state_dict(torch.load(path))` takes it. The zip archive holds
 *
 * - `archive/data.pkl`: a protocol-2 pickle of an `OrderedDict` name → `torch._utils._rebuild_tensor_v2(
 *   storage, 0, size, stride, False, OrderedDict())`, each storage a persistent id
 *   `("storage", torch.FloatStorage, "<key>", "cpu", numel)`;
 * - `archive/byteorder` ("little"), `archive/data/<key>` (one storage per tensor, little-endian),
 *   `archive/version` ("3").
 *
 * Tensors are written in the order PyTorch's `state_dict()` lists them for these networks.
 *
 * @module
 */
import { CheckpointError } from "../../kernel/errors.ts";
import {
  denseStrides,
  type DType,
  elementCount,
  littleEndianBytes,
  type NdArray,
} from "../../formats/ndarray.ts";
import { OP, PickleWriter } from "./pickle_writer.ts";
import { encodeZip, type ZipFile } from "./zip_writer.ts";

/** The archive's folder name, as torch.save names it. */
export const ARCHIVE = "archive";

const STORAGE_CLASS: Readonly<Record<DType, string>> = {
  float32: "FloatStorage",
  float64: "DoubleStorage",
  float16: "HalfStorage",
  bfloat16: "BFloat16Storage",
  int64: "LongStorage",
  int32: "IntStorage",
  int16: "ShortStorage",
  int8: "CharStorage",
  uint8: "ByteStorage",
  bool: "BoolStorage",
};

/** Within one module: parameters first, then buffers, as `nn.Module.state_dict()` lists them. */
const LEAF_ORDER = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"];

function compareNames(a: string, b: string): number {
  const x = a.split("."), y = b.split(".");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const leaf = i === x.length - 1 && i === y.length - 1;
    if (leaf && LEAF_ORDER.includes(x[i]) && LEAF_ORDER.includes(y[i])) {
      return LEAF_ORDER.indexOf(x[i]) - LEAF_ORDER.indexOf(y[i]);
    }
    const m = Number(x[i]), n = Number(y[i]);
    if (/^\d+$/.test(x[i]) && /^\d+$/.test(y[i])) return m - n;
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * The names of a state_dict in PyTorch's order for pix2pixHD's networks: Sequential indices
 * numerically, `model` before `model1_1` before `model1_2`, weight before bias before running stats.
 *
 * @param names the names
 * @returns them sorted
 */
export function torchOrder(names: Iterable<string>): string[] {
  return [...names].sort(compareNames);
}

/**
 * Encodes a state_dict as a `torch.save` zip file.
 *
 * @param tensors name → array (PyTorch layout)
 * @returns the `.pth` file's bytes
 * @throws {CheckpointError} when the archive would not fit a zip without zip64 (4 GiB)
 */
export function encodePth(tensors: ReadonlyMap<string, NdArray>): Uint8Array {
  const p = new PickleWriter().proto(2);
  p.global("collections", "OrderedDict").op(OP.EMPTY_TUPLE, OP.REDUCE, OP.MARK);
  const storages: ZipFile[] = [];
  for (const name of torchOrder(tensors.keys())) {
    const array = tensors.get(name)!;
    const key = String(storages.length);
    const numel = elementCount(array.shape);
    storages.push({ name: `${ARCHIVE}/data/${key}`, data: littleEndianBytes(array) });
    p.text(name).global("torch._utils", "_rebuild_tensor_v2").op(OP.MARK);
    p.op(OP.MARK).text("storage").global("torch", STORAGE_CLASS[array.dtype]).text(key).text("cpu").int(numel)
      .op(OP.TUPLE, OP.BINPERSID);
    p.int(0).intTuple(array.shape).intTuple(denseStrides(array.shape)).op(OP.NEWFALSE);
    p.global("collections", "OrderedDict").op(OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.REDUCE);
  }
  p.op(OP.SETITEMS, OP.STOP);
  const encoder = new TextEncoder();
  try {
    return encodeZip([
      { name: `${ARCHIVE}/data.pkl`, data: p.finish() },
      { name: `${ARCHIVE}/byteorder`, data: encoder.encode("little") },
      ...storages,
      { name: `${ARCHIVE}/version`, data: encoder.encode("3\n") },
    ]);
  } catch (error) {
    if (error instanceof RangeError) throw new CheckpointError("<pth>", `cannot encode: ${error.message}`);
    throw error;
  }
}
