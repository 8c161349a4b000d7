/**
 * A zip reader for checkpoint archives (zip64 included). Unlike a general unzipper it checks every
 * header signature and every entry's CRC-32, so a corrupt archive is an error instead of silently
 * wrong weights, and it hands out stored entries as views of the file's bytes (no copy: PyTorch
 * stores its tensors uncompressed and 64-byte aligned). Deflated entries are inflated with fflate.
 *
 * @module
 */
import { inflateSync } from "fflate";

/** One file of the archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
}

/** An opened archive: its entries by name, and a way to get an entry's verified bytes. */
export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /**
   * The bytes of an entry, CRC-checked.
   *
   * @throws {RangeError} when the entry is corrupt
   */
  read(entry: ZipEntry): Uint8Array;
}

/** Slicing-by-8 tables: table k (at k × 256) advances the CRC over a byte followed by k zero bytes. */
const CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
    }
  }
  return t;
})();

/**
 * CRC-32 (the zip/PNG polynomial) of some bytes, eight bytes per step.
 *
 * @param bytes the data
 * @returns the checksum as an unsigned 32-bit number
 */
export function crc32(bytes: Uint8Array): number {
  const t = CRC_TABLES;
  let c = -1;
  let i = 0;
  for (const end = bytes.length - 7; i < end; i += 8) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t[1792 + (c & 0xff)] ^ t[1536 + ((c >>> 8) & 0xff)] ^ t[1280 + ((c >>> 16) & 0xff)] ^
      t[1024 + (c >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Opens a zip archive held in memory.
 *
 * @param bytes the whole archive
 * @returns its entries and a reader
 * @throws {RangeError} describing the damage when the archive is truncated or its directory is corrupt
 */
export function openZip(bytes: Uint8Array): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = (offset: number, length: number, what: string) => {
    if (offset < 0 || offset + length > bytes.length) {
      throw new RangeError(`${what} lies past the end of the file`);
    }
    return offset;
  };
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const u64 = (o: number) => Number(view.getBigUint64(o, true));

  let end = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 0xffff); o--) {
    if (u32(o) === 0x06054b50) {
      end = o;
      break;
    }
  }
  if (end < 0) throw new RangeError("no end-of-central-directory record (truncated?)");
  let count = u16(end + 10);
  let directory = u32(end + 16);
  if (end >= 20 && u32(end - 20) === 0x07064b50) {
    const end64 = at(u64(end - 12), 56, "the zip64 end record");
    if (u32(end64) !== 0x06064b50) throw new RangeError("bad zip64 end-of-central-directory record");
    count = u64(end64 + 32);
    directory = u64(end64 + 48);
  }

  const entries = new Map<string, ZipEntry>();
  let o = directory;
  for (let i = 0; i < count; i++) {
    at(o, 46, "a central directory entry");
    if (u32(o) !== 0x02014b50) throw new RangeError(`bad central directory entry ${i}`);
    const nameLength = u16(o + 28);
    const extraLength = u16(o + 30);
    at(o + 46, nameLength + extraLength, "a central directory entry");
    const entry: ZipEntry = {
      name: new TextDecoder().decode(bytes.subarray(o + 46, o + 46 + nameLength)),
      method: u16(o + 10),
      crc: u32(o + 16),
      compressedSize: u32(o + 20),
      size: u32(o + 24),
      headerOffset: u32(o + 42),
    };
    // zip64 extra field: the 0xffffffff fields, in this order.
    for (let x = o + 46 + nameLength; x + 4 <= o + 46 + nameLength + extraLength; x += 4 + u16(x + 2)) {
      if (u16(x) !== 0x0001) continue;
      let y = x + 4;
      for (const field of ["size", "compressedSize", "headerOffset"] as const) {
        if (entry[field] === 0xffffffff) {
          entry[field] = u64(at(y, 8, "a zip64 field"));
          y += 8;
        }
      }
    }
    entries.set(entry.name, entry);
    o += 46 + nameLength + extraLength + u16(o + 32);
  }

  const read = (entry: ZipEntry): Uint8Array => {
    const h = at(entry.headerOffset, 30, `the header of ${entry.name}`);
    if (u32(h) !== 0x04034b50) throw new RangeError(`bad local header for ${entry.name}`);
    const start = h + 30 + u16(h + 26) + u16(h + 28);
    at(start, entry.compressedSize, `the data of ${entry.name}`);
    const raw = bytes.subarray(start, start + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) {
      try {
        data = inflateSync(raw, { out: new Uint8Array(entry.size) });
      } catch (error) {
        throw new RangeError(`cannot inflate ${entry.name} (${(error as Error).message})`);
      }
    } else throw new RangeError(`${entry.name} uses unsupported compression method ${entry.method}`);
    if (data.length !== entry.size || crc32(data) !== entry.crc) {
      throw new RangeError(`${entry.name} is corrupt (CRC-32 or size mismatch)`);
    }
    return data;
  };
  return { entries, read };
}
