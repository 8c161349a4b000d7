/**
 * Test helper: writes pickles opcode by opcode, and packs state_dict pickles into the two torch.save
 * layouts (zip and legacy) the way PyTorch does, so tests can make checkpoints PyTorch could have
 * written (strided views, other dtypes, big-endian, `module.` keys) and broken ones.
 *
 * @module
 */
import { zipSync } from "fflate";

/** Builds a pickle from opcodes (protocol 2 subset). */
export class PickleWriter {
  readonly #bytes: number[] = [];

  /** PROTO n. */
  proto(version = 2): this {
    this.#bytes.push(0x80, version);
    return this;
  }
  /** Raw opcode bytes. */
  raw(...bytes: number[]): this {
    this.#bytes.push(...bytes);
    return this;
  }
  /** GLOBAL module name. */
  global(module: string, name: string): this {
    this.#bytes.push(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
    return this;
  }
  /** BINUNICODE. */
  str(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    this.#bytes.push(0x58, ...u32(utf8.length), ...utf8);
    return this;
  }
  /** BININT (or NONE for null). */
  int(value: number | null): this {
    if (value === null) this.#bytes.push(0x4e);
    else this.#bytes.push(0x4a, ...new Uint8Array(Int32Array.of(value).buffer));
    return this;
  }
  /** MARK, the items, TUPLE. */
  tuple(...items: ((w: this) => void)[]): this {
    this.#bytes.push(0x28);
    for (const item of items) item(this);
    this.#bytes.push(0x74);
    return this;
  }
  /** A tuple of ints. */
  ints(values: number[]): this {
    return this.tuple(...values.map((v) => (w: this) => w.int(v)));
  }
  /** The pickle's bytes, with STOP appended. */
  stop(): Uint8Array {
    return Uint8Array.from([...this.#bytes, 0x2e]);
  }
}

function u32(n: number): number[] {
  return [...new Uint8Array(Uint32Array.of(n).buffer)];
}

/** A tensor of a test checkpoint: a strided view of storage `key`. */
export interface TensorSpec {
  name: string;
  /** "FloatStorage", "HalfStorage", … */
  storage: string;
  key: string;
  /** Storage size in elements. */
  numel: number;
  offset: number;
  shape: number[];
  stride: number[];
  /** Legacy format only: the tensor's storage is a view `[view key, element offset, size]` of `key`. */
  view?: [string, number, number];
}

/**
 * The data.pkl of `torch.save(state_dict)`: an OrderedDict of `_rebuild_tensor_v2` calls on
 * persistent storages (5-field ids for zip, 6-field for legacy).
 *
 * @param tensors the entries, in order
 * @param legacy write legacy persistent ids (with view metadata)
 * @returns the pickle
 */
export function stateDictPickle(tensors: TensorSpec[], legacy = false): Uint8Array {
  const w = new PickleWriter().proto().global("collections", "OrderedDict").raw(0x29, 0x52, 0x28);
  for (const t of tensors) {
    w.str(t.name).global("torch._utils", "_rebuild_tensor_v2").tuple(
      (w) =>
        w.tuple(
          (w) => w.str("storage"),
          (w) => w.global("torch", t.storage),
          (w) => w.str(t.key),
          (w) => w.str("cpu"),
          (w) => w.int(t.numel),
          ...(legacy
            ? [(w: PickleWriter) =>
              t.view
                ? w.tuple((w) => w.str(t.view![0]), (w) => w.int(t.view![1]), (w) => w.int(t.view![2]))
                : w.int(null)]
            : []),
        ).raw(0x51),
      (w) => w.int(t.offset),
      (w) => w.ints(t.shape),
      (w) => w.ints(t.stride),
      (w) => w.raw(0x89),
      (w) => w.global("collections", "OrderedDict").raw(0x29, 0x52),
    ).raw(0x52);
  }
  return w.raw(0x75).stop();
}

/**
 * A torch.save zip archive: `archive/data.pkl`, `archive/data/<key>`, optional byteorder, stored.
 *
 * @param pickle the data.pkl
 * @param storages storage key → bytes
 * @param byteorder written as `archive/byteorder` when given
 * @returns the archive
 */
export function zipCheckpoint(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array>,
  byteorder?: "little" | "big",
): Uint8Array {
  const files: Record<string, Uint8Array> = { "archive/data.pkl": pickle };
  if (byteorder) files["archive/byteorder"] = new TextEncoder().encode(byteorder);
  for (const [key, bytes] of Object.entries(storages)) files[`archive/data/${key}`] = bytes;
  files["archive/version"] = new TextEncoder().encode("3\n");
  return zipSync(files, { level: 0 });
}

/**
 * A legacy (pre-1.6) torch.save file: magic, protocol, sys_info, data pickle, keys, raw storages.
 *
 * @param pickle the main pickle (legacy persistent ids)
 * @param storages storage key → element count and bytes, in file order
 * @returns the file
 */
export function legacyCheckpoint(
  pickle: Uint8Array,
  storages: Record<string, { numel: number; bytes: Uint8Array }>,
): Uint8Array {
  const magic = Uint8Array.from([
    0x80,
    0x02,
    0x8a,
    0x0a,
    0x6c,
    0xfc,
    0x9c,
    0x46,
    0xf9,
    0x20,
    0x6a,
    0xa8,
    0x50,
    0x19,
    0x2e,
  ]);
  const protocol = new PickleWriter().proto().raw(0x4d, 0xe9, 0x03).stop();
  const sysInfo = new PickleWriter().proto().raw(0x7d, 0x28).str("little_endian").raw(0x88, 0x75).stop();
  const keys = new PickleWriter().proto().raw(0x5d, 0x28);
  for (const key of Object.keys(storages)) keys.str(key);
  const parts = [magic, protocol, sysInfo, pickle, keys.raw(0x65).stop()];
  for (const { numel, bytes } of Object.values(storages)) {
    parts.push(new Uint8Array(BigInt64Array.of(BigInt(numel)).buffer), bytes);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
