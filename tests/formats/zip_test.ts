import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { crc32, openZip } from "../../formats/zip.ts";

const PARITY = new URL("../fixtures/pytorch-parity/", import.meta.url).pathname;

Deno.test("crc32 gives the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
});

Deno.test("openZip reads stored and deflated entries", () => {
  const text = new TextEncoder().encode("pix2pixHD ".repeat(50));
  const archive = zipSync({ "a/stored.bin": [Uint8Array.of(1, 2, 3), { level: 0 }], "a/deflated.txt": text });
  const zip = openZip(archive);
  assert.deepEqual([...zip.entries.keys()].sort(), ["a/deflated.txt", "a/stored.bin"]);
  assert.equal(zip.entries.get("a/deflated.txt")!.method, 8);
  assert.deepEqual(zip.read(zip.entries.get("a/stored.bin")!), Uint8Array.of(1, 2, 3));
  assert.deepEqual(zip.read(zip.entries.get("a/deflated.txt")!), text);
});

Deno.test("openZip reads PyTorch's zip64 archives without copying stored entries", async () => {
  const bytes = await Deno.readFile(`${PARITY}G_global.pth`);
  const zip = openZip(bytes);
  assert.equal(zip.entries.size, 22);
  const data = zip.read(zip.entries.get("G_global/data/0")!);
  assert.equal(data.buffer, bytes.buffer);
  assert.equal(data.byteOffset % 64, 0, "PyTorch aligns tensor data to 64 bytes");
  assert.equal(data.length, 8 * 6 * 7 * 7 * 4);
});

Deno.test("openZip reports truncation and corruption as RangeErrors", async () => {
  const bytes = await Deno.readFile(`${PARITY}E_encoder.pth`);
  assert.throws(() => openZip(bytes.subarray(0, bytes.length - 10)), /no end-of-central-directory/);
  assert.throws(() => openZip(new Uint8Array(5)), RangeError);
  const zip = openZip(bytes);
  const entry = zip.entries.get("E_encoder/data.pkl")!;
  const flipped = bytes.slice();
  flipped[100] ^= 1;
  assert.throws(() => openZip(flipped).read(entry), /E_encoder\/data\.pkl is corrupt \(CRC-32/);
  const header = bytes.slice();
  header[entry.headerOffset] = 0;
  assert.throws(() => openZip(header).read(entry), /bad local header/);
});
