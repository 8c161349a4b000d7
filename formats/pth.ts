/**
 * PyTorch checkpoints (`torch.save` of a state_dict): the zip format of PyTorch ≥ 1.6 and the legacy
 * format before it. Tensors keep torch's layout (NCHW / OIHW); `module.` prefixes (DataParallel) are
 * stripped from the keys.
 *
 * @module
 */
import { CheckpointError } from "../kernel/errors.ts";
import { DTYPE_BYTES, type NdArray } from "./ndarray.ts";
import { describe, unpickle } from "./pickle.ts";
import { readBytes } from "./read_bytes.ts";
import {
  makeStorage,
  materialize,
  type Storage,
  TensorRef,
  torchGlobalHint,
  torchGlobals,
} from "./torch_pickle.ts";
import { openZip, type ZipArchive } from "./zip.ts";

/** pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2): the legacy format's magic number. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/**
 * Reads a PyTorch state_dict checkpoint (zip or legacy format).
 *
 * @param bytes the whole file
 * @param file name used in error messages
 * @returns parameter name (without `module.`) → array in torch layout; float32 as Float32Array. A
 *   tensor that alone uses its storage may share memory with `bytes` (no copy).
 * @throws {CheckpointError} when the file is truncated or corrupt, is not a torch.save file, holds
 *   something other than a state_dict (a whole pickled nn.Module, a list…), uses an unknown pickle
 *   global, or has tensors of an unsupported dtype
 */
export function readPth(bytes: Uint8Array, file = "<pth>"): Map<string, NdArray> {
  const fail = (message: string) => new CheckpointError(file, message);
  if (bytes.length < 4) throw fail(`is not a PyTorch checkpoint: only ${bytes.length} bytes`);
  let root: unknown;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    root = readZipArchive(bytes, fail);
  } else if (bytes[0] === 0x80 && bytes[1] <= 5) {
    root = readLegacy(bytes, fail);
  } else {
    throw fail("is not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save pickle)");
  }
  return stateDict(root, fail);
}

/**
 * Reads a PyTorch state_dict checkpoint from disk.
 *
 * @param path file path
 * @returns parameter name → array in torch layout
 * @throws {CheckpointError} when the file cannot be read or is not a readable state_dict
 */
export async function loadPth(path: string): Promise<Map<string, NdArray>> {
  return readPth(await readBytes(path, (message) => new CheckpointError(path, message)), path);
}

type Fail = (message: string) => CheckpointError;

function storageOf(pid: unknown, storages: Map<string, Storage>, littleEndian: boolean): Storage {
  if (!Array.isArray(pid) || pid[0] !== "storage") {
    if (Array.isArray(pid) && pid[0] === "module") {
      throw new TypeError("the file holds a pickled nn.Module, not a state_dict");
    }
    throw new TypeError(`unknown persistent id ${describe(pid)}`);
  }
  const [, type, key, , numel] = pid;
  const known = storages.get(key);
  if (known) return known;
  const storage = makeStorage(type, key, numel, littleEndian);
  storages.set(storage.key, storage);
  return storage;
}

function readZipArchive(bytes: Uint8Array, fail: Fail): unknown {
  const corrupt = (error: unknown) => {
    if (error instanceof RangeError) return fail(`corrupt or truncated zip archive: ${error.message}`);
    return error;
  };
  let zip: ZipArchive;
  try {
    zip = openZip(bytes);
  } catch (error) {
    throw corrupt(error);
  }
  const names = [...zip.entries.keys()];
  const pkl = names.find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (!pkl) {
    const torchScript = names.some((name) => /^[^/]+\/(constants\.pkl|code\/)/.test(name));
    throw fail(
      torchScript
        ? "is a TorchScript archive (torch.jit.save), not a state_dict"
        : "is a zip archive without data.pkl: not a torch.save checkpoint",
    );
  }
  const prefix = pkl.slice(0, -"data.pkl".length);
  const entry = (name: string) => {
    const found = zip.entries.get(name);
    try {
      return found && zip.read(found);
    } catch (error) {
      throw corrupt(error);
    }
  };
  const order = entry(`${prefix}byteorder`);
  const littleEndian = !order || new TextDecoder().decode(order).trim() !== "big";
  const storages = new Map<string, Storage>();
  const { value } = unpickle(entry(pkl)!, {
    globals: torchGlobals(),
    persistentLoad: (pid) => storageOf(pid, storages, littleEndian),
    error: fail,
    unknownGlobalHint: torchGlobalHint,
  });
  for (const storage of storages.values()) {
    const name = `${prefix}data/${storage.key}`;
    const data = entry(name);
    if (!data) throw fail(`the archive lacks ${name}, the data of a tensor`);
    setBytes(storage, data, fail);
  }
  return value;
}

function setBytes(storage: Storage, bytes: Uint8Array, fail: Fail): void {
  const size = storage.numel * DTYPE_BYTES[storage.dtype];
  if (bytes.length < size) {
    throw fail(
      `truncated tensor data: storage ${storage.key} (${storage.numel} × ${storage.dtype}) needs ${size} bytes, ` +
        `found ${bytes.length}`,
    );
  }
  storage.bytes = bytes.subarray(0, size);
}

function readLegacy(bytes: Uint8Array, fail: Fail): unknown {
  const globals = torchGlobals();
  const read = (offset: number, persistentLoad?: (pid: unknown) => unknown) =>
    unpickle(bytes, { globals, offset, persistentLoad, error: fail, unknownGlobalHint: torchGlobalHint });
  const magic = read(0);
  if (magic.value !== LEGACY_MAGIC) throw fail("is not a PyTorch checkpoint (wrong magic number)");
  const protocol = read(magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw fail(`unsupported legacy torch.save protocol ${String(protocol.value)} (${LEGACY_PROTOCOL} is)`);
  }
  const sysInfo = read(protocol.end);
  const littleEndian = !(sysInfo.value instanceof Map) || sysInfo.value.get("little_endian") !== false;
  const storages = new Map<string, Storage>();
  const views: { view: Storage; root: string; offset: number }[] = [];
  const main = read(sysInfo.end, (pid) => {
    const storage = storageOf(pid, storages, littleEndian);
    const viewMetadata = (pid as unknown[])[5];
    if (Array.isArray(viewMetadata)) {
      const [viewKey, offset, size] = viewMetadata;
      const view = makeStorage((pid as unknown[])[1], viewKey, size, littleEndian);
      view.users = 1; // shares the root's memory: tensors on it always copy
      views.push({ view, root: storage.key, offset: offset as number });
      return view;
    }
    return storage;
  });
  const keys = read(main.end);
  if (!Array.isArray(keys.value)) throw fail("corrupt legacy checkpoint: the storage key list is missing");
  const dataView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value) {
    const storage = storages.get(key as string);
    if (!storage) throw fail(`corrupt legacy checkpoint: storage ${String(key)} is not used by any tensor`);
    if (pos + 8 > bytes.length) throw fail(`truncated: the data of storage ${storage.key} is missing`);
    const numel = Number(dataView.getBigInt64(pos, littleEndian));
    if (numel !== storage.numel) {
      throw fail(
        `corrupt legacy checkpoint: storage ${storage.key} has ${numel} elements, ${storage.numel} expected`,
      );
    }
    pos += 8;
    const size = numel * DTYPE_BYTES[storage.dtype];
    setBytes(storage, bytes.subarray(pos, Math.min(pos + size, bytes.length)), fail);
    pos += size;
  }
  for (const { view, root, offset } of views) {
    const base = storages.get(root);
    const size = DTYPE_BYTES[view.dtype];
    if (!base?.bytes || (offset + view.numel) * size > base.bytes.length) {
      throw fail(`corrupt legacy checkpoint: storage view ${view.key} lies outside storage ${root}`);
    }
    view.bytes = base.bytes.subarray(offset * size, (offset + view.numel) * size);
  }
  return main.value;
}

function stateDict(dict: unknown, fail: Fail): Map<string, NdArray> {
  if (!(dict instanceof Map)) {
    const what = dict instanceof TensorRef ? "a single tensor" : describe(dict);
    throw fail(`holds ${what}, not a state_dict (a dict of parameter name → tensor)`);
  }
  const out = new Map<string, NdArray>();
  for (const [rawKey, value] of dict) {
    if (typeof rawKey !== "string") {
      throw fail(`is not a state_dict: it has a key that is ${describe(rawKey)}`);
    }
    if (!(value instanceof TensorRef)) {
      throw fail(`is not a state_dict: entry "${rawKey}" is ${describe(value)}, not a tensor`);
    }
    const key = rawKey.startsWith("module.") ? rawKey.slice("module.".length) : rawKey;
    if (out.has(key)) throw fail(`has both "${key}" and "module.${key}"`);
    try {
      out.set(key, materialize(value));
    } catch (error) {
      if (error instanceof RangeError) throw fail(`tensor "${rawKey}": ${error.message}`);
      throw error;
    }
  }
  return out;
}
