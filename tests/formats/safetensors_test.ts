import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckpointError } from "../../kernel/errors.ts";
import type { NdArray } from "../../formats/ndarray.ts";
import { loadPth } from "../../formats/pth.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  saveSafetensors,
} from "../../formats/safetensors.ts";

const PARITY = new URL("../fixtures/pytorch-parity/", import.meta.url).pathname;
const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const header = (bytes: Uint8Array) => {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, json: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
};

Deno.test("encodeSafetensors writes the bytes of the reference implementation's test", () => {
  // huggingface/safetensors bindings/python/tests/test_simple.py: {"test": int32 [[1, 2], [3, 4]]}
  const expected = new Uint8Array([
    ...latin1(
      '@\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    ',
    ),
    ...new Uint8Array(Int32Array.of(1, 2, 3, 4).buffer),
  ]);
  const tensors = new Map([[
    "test",
    { shape: [2, 2], dtype: "int32", data: Int32Array.of(1, 2, 3, 4) } as NdArray,
  ]]);
  assert.deepEqual(encodeSafetensors(tensors), expected);
  assert.deepEqual(decodeSafetensors(expected).tensors, tensors);
});

Deno.test("decodeSafetensors reads unpadded headers and metadata written by other versions", () => {
  const zeros = new Uint8Array(16);
  const plain = latin1(
    '<\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}',
  );
  const decoded = decodeSafetensors(new Uint8Array([...plain, ...zeros]));
  assert.deepEqual(decoded.tensors.get("test"), { shape: [2, 2], dtype: "int32", data: new Int32Array(4) });
  const json =
    '{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}       ';
  const withMeta = new Uint8Array([json.length, 0, 0, 0, 0, 0, 0, 0, ...latin1(json), ...zeros]);
  assert.deepEqual(decodeSafetensors(withMeta).metadata, { framework: "pt" });
});

Deno.test("a checkpoint round-trips through safetensors with metadata, aligned and padded", async () => {
  const state = await loadPth(join(PARITY, "G_global.pth"));
  const tensors = new Map<string, NdArray>([
    ...state,
    ["flag", { shape: [3], dtype: "bool", data: Uint8Array.of(1, 0, 1) }],
    ["step", { shape: [], dtype: "int64", data: BigInt64Array.of(123456789012345n) }],
    ["half", { shape: [1, 1], dtype: "float16", data: Uint16Array.of(0x3555) }],
    ["brain", { shape: [2], dtype: "bfloat16", data: Uint16Array.of(0x3f80, 0xc000) }],
    ["d", { shape: [1], dtype: "float64", data: Float64Array.of(0.1) }],
  ]);
  const metadata = { format: "pt", netG: "global", ngf: "8" };
  const bytes = encodeSafetensors(tensors, metadata);
  const { length, json } = header(bytes);
  assert.equal(length % 8, 0, "header padded to 8 bytes");
  assert.match(json, /^\{.*\} *$/);
  const parsed = JSON.parse(json);
  assert.deepEqual(parsed.__metadata__, metadata);
  assert.deepEqual(parsed["model.1.weight"].shape, [8, 6, 7, 7]);
  assert.equal(parsed["model.1.weight"].dtype, "F32");
  assert.equal(parsed.flag.dtype, "BOOL");
  assert.equal(parsed.brain.dtype, "BF16");
  for (
    const [name, info] of Object.entries(parsed) as [string, { data_offsets: number[]; dtype: string }][]
  ) {
    if (name === "__metadata__") continue;
    const size = { F64: 8, I64: 8, F32: 4, F16: 2, BF16: 2, BOOL: 1 }[info.dtype]!;
    assert.equal(info.data_offsets[0] % size, 0, `${name} aligned`);
  }
  const decoded = decodeSafetensors(bytes, "g.safetensors");
  assert.deepEqual(decoded.metadata, metadata);
  assert.equal(decoded.tensors.size, tensors.size);
  for (const [name, array] of tensors) assert.deepEqual(decoded.tensors.get(name), array, name);
});

Deno.test("saveSafetensors and loadSafetensors go through the disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "w.safetensors");
    const tensors = new Map([[
      "w",
      { shape: [2], dtype: "float32", data: Float32Array.of(1, -1) } as NdArray,
    ]]);
    await saveSafetensors(path, tensors, { epoch: "3" });
    assert.deepEqual(await loadSafetensors(path), { tensors, metadata: { epoch: "3" } });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["w.safetensors"]);
    await assert.rejects(loadSafetensors(join(dir, "none.safetensors")), /none\.safetensors: file not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("invalid safetensors files give a CheckpointError saying what is wrong", () => {
  const file = (json: string, data = 0) => {
    const text = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + text.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    return out;
  };
  const t = (dtype: string, shape: number[], offsets: number[]) =>
    JSON.stringify({ dtype, shape, data_offsets: offsets });
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /only 5 bytes/],
    [file("{}").subarray(0, 9), /the header claims 2 bytes/],
    [file("{nope"), /not valid JSON/],
    [file("[1]"), /not an object/],
    [file(`{"a":${t("C64", [1], [0, 8])}}`, 8), /unsupported dtype "C64"/],
    [file(`{"a":${t("F32", [2], [0, 4])}}`, 4), /needs 8 bytes, data_offsets span 4/],
    [file(`{"a":${t("F32", [2], [0, 8])}}`, 4), /past the end of the file/],
    [file(`{"a":${t("F32", [1], [0, 4])},"b":${t("F32", [1], [2, 6])}}`, 6), /"b" overlaps another/],
    [file(`{"a":${t("F32", [1], [4, 8])}}`, 8), /"a" leaves a hole/],
    [file(`{"a":${t("F32", [1], [0, 4])}}`, 6), /2 bytes after the last tensor/],
    [file(`{"__metadata__":{"n":1}}`), /metadata "n" is not a string/],
    [file(`{"a":${t("F32", [-1], [0, 4])}}`, 4), /invalid shape/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => decodeSafetensors(bytes, "x.safetensors"), (e) => {
      assert.ok(e instanceof CheckpointError, String(e));
      assert.match(e.message, /^x\.safetensors: invalid safetensors file: /);
      assert.match(e.message, pattern);
      return true;
    });
  }
});

Deno.test("encodeSafetensors refuses malformed arrays and non-string metadata", () => {
  const bad = new Map([["w", { shape: [3], dtype: "float32", data: new Float32Array(2) } as NdArray]]);
  assert.throws(() => encodeSafetensors(bad), /tensor "w": shape \[3\] has 3 elements but data holds 2/);
  const meta = { n: 1 } as unknown as Record<string, string>;
  assert.throws(() => encodeSafetensors(new Map(), meta), /metadata "n" is a number/);
});
