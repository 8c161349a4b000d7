import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../../kernel/errors.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { loadNpy, readNpy, writeNpy } from "../../formats/npy.ts";

const PARITY = new URL("../fixtures/pytorch-parity/", import.meta.url).pathname;
const manifest = JSON.parse(await Deno.readTextFile(join(PARITY, "manifest.json")));

/** A .npy file with a hand-written header (any version) and payload. */
function npyBytes(header: string, payload: Uint8Array, major = 1): Uint8Array {
  const text = new TextEncoder().encode(header + "\n");
  const prefix = major === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + text.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, prefix);
  out.set(payload, prefix + text.length);
  return out;
}

Deno.test("every parity .npy loads with the shape and dtype the manifest gives", async () => {
  const entries = Object.entries(manifest.files).filter(([name]) => name.endsWith(".npy"));
  assert.ok(entries.length >= 40, `${entries.length} .npy files in the manifest`);
  for (const [name, info] of entries as [string, { shape: number[]; dtype: string }][]) {
    const array = await loadNpy(join(PARITY, name));
    assert.deepEqual(array.shape, info.shape, name);
    assert.equal(array.dtype, info.dtype, name);
    assert.equal(array.data.length, info.shape.reduce((a, b) => a * b, 1), name);
  }
});

Deno.test("writeNpy reproduces numpy's bytes exactly", async () => {
  for (const name of ["inst.npy", "G_first_conv_bias_grad.npy", "input_label.npy"]) {
    const bytes = await Deno.readFile(join(PARITY, name));
    assert.deepEqual(writeNpy(readNpy(bytes, name)), bytes, name);
  }
});

Deno.test("inst.npy holds the Cityscapes-style instance ids the manifest lists", async () => {
  const inst = await loadNpy(join(PARITY, "inst.npy"));
  const ids = [...new Set(inst.data as Int32Array)].sort((a, b) => a - b);
  assert.deepEqual(ids, manifest.inputs.instance_ids);
});

Deno.test("writeNpy then readNpy round-trips every dtype numpy has", () => {
  const arrays: NdArray[] = [
    { shape: [2, 2], dtype: "float32", data: Float32Array.of(1.5, -2, 3, 4) },
    { shape: [3], dtype: "float64", data: Float64Array.of(Math.PI, -0, 1e300) },
    { shape: [2], dtype: "float16", data: Uint16Array.of(0x3c00, 0xc000) },
    { shape: [1, 2], dtype: "int64", data: BigInt64Array.of(-(2n ** 62n), 7n) },
    { shape: [2], dtype: "int32", data: Int32Array.of(-1, 2 ** 31 - 1) },
    { shape: [2], dtype: "int16", data: Int16Array.of(-300, 300) },
    { shape: [2], dtype: "int8", data: Int8Array.of(-128, 127) },
    { shape: [2], dtype: "uint8", data: Uint8Array.of(0, 255) },
    { shape: [3], dtype: "bool", data: Uint8Array.of(1, 0, 1) },
    { shape: [], dtype: "float32", data: Float32Array.of(42) },
    { shape: [0, 3], dtype: "float32", data: new Float32Array(0) },
  ];
  for (const array of arrays) {
    const bytes = writeNpy(array);
    const header = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + header) % 64, 0, `${array.dtype} data is 64-byte aligned`);
    assert.deepEqual(readNpy(bytes), array);
  }
});

Deno.test("readNpy reads version 2.0 and 3.0 headers and big-endian data", () => {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setFloat32(0, 1.25, false);
  new DataView(payload.buffer).setFloat32(4, -3, false);
  const v2 = readNpy(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", payload, 2));
  assert.deepEqual(v2, { shape: [2], dtype: "float32", data: Float32Array.of(1.25, -3) });
  const le = new Uint8Array(Int16Array.of(-2, 5, 9, 1).buffer);
  const v3 = readNpy(npyBytes('{"descr": "<i2", "fortran_order": False, "shape": (2L, 2L)}', le, 3));
  assert.deepEqual(v3, { shape: [2, 2], dtype: "int16", data: Int16Array.of(-2, 5, 9, 1) });
});

Deno.test("readNpy rejects bad files with a DataError naming the file", () => {
  const four = new Uint8Array(16);
  const cases: [Uint8Array, RegExp][] = [
    [new TextEncoder().encode("PK\x03\x04 not npy"), /not a \.npy file/],
    [npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four), /Fortran-ordered/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four), /truncated .npy data/],
    [npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (), }", four), /pickled Python objects/],
    [
      npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", four),
      /unsupported .npy dtype '<c8'/,
    ],
    [npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", four), /structured/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", four), /malformed .npy header/],
    [npyBytes("{'descr': '<f4'}", four, 4), /format version 4/],
    [
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", four).subarray(0, 30),
      /truncated/,
    ],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => readNpy(bytes, "bad.npy"), (e) => {
      assert.ok(e instanceof DataError, String(e));
      assert.match(e.message, /^bad\.npy: /);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("writeNpy refuses bfloat16 and arrays whose data does not fit the shape", () => {
  assert.throws(() => writeNpy({ shape: [1], dtype: "bfloat16", data: Uint16Array.of(0) }), /no such dtype/);
  assert.throws(() => writeNpy({ shape: [3], dtype: "float32", data: new Float32Array(2) }), /3 elements/);
  assert.throws(() => writeNpy({ shape: [1], dtype: "int32", data: new Float32Array(1) }), /Int32Array/);
});

Deno.test("loadNpy on a missing file says so", async () => {
  await assert.rejects(loadNpy("/nonexistent/x.npy"), /^DataError: \/nonexistent\/x\.npy: file not found$/);
});
