/**
 * A zip writer laid out as PyTorch's `torch.save` writes its archives: every entry stored
 * (uncompressed), each entry's data starting at a multiple of 64 bytes (the local header's extra field
 * is padded with an "FB" record, as PyTorch's writer does), fixed timestamps so the same input gives the
 * same bytes. No zip64: an archive must stay under 4 GiB.
 *
 * @module
 */
import { crc32 } from "../../formats/zip.ts";

/** Where each entry's data starts: a multiple of this. */
export const ZIP_ALIGNMENT = 64;

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
/** The extra-field id PyTorch pads with: the bytes "FB". */
const PADDING_ID = 0x4246;
/** 1980-01-01 00:00, the earliest DOS date. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const VERSION = 20;

/** One file of the archive. */
export interface ZipFile {
  name: string;
  data: Uint8Array;
}

/**
 * Encodes files as a stored, 64-byte-aligned zip archive.
 *
 * @param files the entries, in archive order
 * @returns the archive's bytes
 * @throws {RangeError} when the archive would reach 4 GiB or an entry has more than 65535 files
 */
export function encodeZip(files: readonly ZipFile[]): Uint8Array {
  if (files.length > 0xffff) throw new RangeError(`${files.length} entries: a zip without zip64 holds 65535`);
  const encoder = new TextEncoder();
  const entries = files.map((f) => ({
    ...f,
    nameBytes: encoder.encode(f.name),
    crc: crc32(f.data),
    offset: 0,
    pad: 0,
  }));
  let size = 0;
  for (const e of entries) {
    e.offset = size;
    const start = size + 30 + e.nameBytes.length + 4;
    e.pad = (ZIP_ALIGNMENT - (start % ZIP_ALIGNMENT)) % ZIP_ALIGNMENT;
    size = start + e.pad + e.data.length;
  }
  const directoryOffset = size;
  for (const e of entries) size += 46 + e.nameBytes.length;
  size += 22;
  if (size >= 0xffffffff) {
    throw new RangeError(`the archive would take ${size} bytes: over the 4 GiB a zip without zip64 holds`);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  const u16 = (v: number) => (view.setUint16(o, v, true), o += 2);
  const u32 = (v: number) => (view.setUint32(o, v, true), o += 4);
  const put = (bytes: Uint8Array) => (out.set(bytes, o), o += bytes.length);
  const common = (e: typeof entries[number]) => {
    u16(VERSION); // version needed
    u16(0); // flags
    u16(0); // stored
    u16(0); // time
    u16(DOS_DATE);
    u32(e.crc);
    u32(e.data.length);
    u32(e.data.length);
    u16(e.nameBytes.length);
  };
  for (const e of entries) {
    u32(LOCAL_HEADER);
    common(e);
    u16(4 + e.pad);
    put(e.nameBytes);
    u16(PADDING_ID);
    u16(e.pad);
    put(new Uint8Array(e.pad).fill(0x5a)); // "Z", as PyTorch pads
    put(e.data);
  }
  for (const e of entries) {
    u32(CENTRAL_HEADER);
    u16(VERSION); // version made by
    common(e);
    u16(0); // extra length
    u16(0); // comment length
    u16(0); // disk
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(e.offset);
    put(e.nameBytes);
  }
  u32(END_OF_DIRECTORY);
  u16(0);
  u16(0);
  u16(entries.length);
  u16(entries.length);
  u32(size - 22 - directoryOffset);
  u32(directoryOffset);
  u16(0);
  return out;
}
