import assert from "node:assert/strict";
import {
  denseStrides,
  type DType,
  float16ToNumber,
  ndArrayProblem,
  toFloat32,
  typedArrayFromBytes,
} from "../../formats/ndarray.ts";

Deno.test("float16ToNumber decodes normals, subnormals, zeros, infinities and NaN", () => {
  assert.equal(float16ToNumber(0x3c00), 1);
  assert.equal(float16ToNumber(0xc000), -2);
  assert.equal(float16ToNumber(0x3555), 0.333251953125);
  assert.equal(float16ToNumber(0x7bff), 65504);
  assert.equal(float16ToNumber(0x0001), 2 ** -24);
  assert.ok(Object.is(float16ToNumber(0x8000), -0));
  assert.equal(float16ToNumber(0xfc00), -Infinity);
  assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
});

Deno.test("toFloat32 converts every dtype and returns float32 data as is", () => {
  const f32 = Float32Array.of(1, 2);
  assert.equal(toFloat32({ shape: [2], dtype: "float32", data: f32 }), f32);
  assert.deepEqual(
    toFloat32({ shape: [2], dtype: "float16", data: Uint16Array.of(0x3c00, 0xb800) }),
    Float32Array.of(1, -0.5),
  );
  assert.deepEqual(
    toFloat32({ shape: [2], dtype: "bfloat16", data: Uint16Array.of(0x3f80, 0xc0a0) }),
    Float32Array.of(1, -5),
  );
  assert.deepEqual(
    toFloat32({ shape: [2], dtype: "int64", data: BigInt64Array.of(-7n, 3n) }),
    Float32Array.of(-7, 3),
  );
  assert.deepEqual(
    toFloat32({ shape: [1], dtype: "float64", data: Float64Array.of(0.1) }),
    Float32Array.of(0.1),
  );
  assert.deepEqual(
    toFloat32({ shape: [2], dtype: "bool", data: Uint8Array.of(1, 0) }),
    Float32Array.of(1, 0),
  );
});

Deno.test("typedArrayFromBytes shares aligned memory, copies unaligned bytes and swaps byte order", () => {
  const buffer = new Uint8Array(12);
  new DataView(buffer.buffer).setFloat32(4, 2.5, true);
  const shared = typedArrayFromBytes("float32", buffer.subarray(4, 8), true, false);
  assert.equal(shared.buffer, buffer.buffer);
  assert.deepEqual(shared, Float32Array.of(2.5));
  assert.notEqual(typedArrayFromBytes("float32", buffer.subarray(4, 8), true, true).buffer, buffer.buffer);
  new DataView(buffer.buffer).setFloat32(1, -3, true);
  assert.deepEqual(typedArrayFromBytes("float32", buffer.subarray(1, 5), true, false), Float32Array.of(-3));
  new DataView(buffer.buffer).setInt16(8, -2, false);
  assert.deepEqual(typedArrayFromBytes("int16", buffer.subarray(8, 10), false, false), Int16Array.of(-2));
  assert.equal(
    new DataView(buffer.buffer).getInt16(8, false),
    -2,
    "the source bytes are not swapped in place",
  );
});

Deno.test("ndArrayProblem describes malformed arrays and accepts good ones", () => {
  assert.equal(ndArrayProblem({ shape: [2, 0], dtype: "int8", data: new Int8Array(0) }), null);
  assert.match(
    ndArrayProblem({ shape: [2], dtype: "int8", data: new Int8Array(3) })!,
    /2 elements but data holds 3/,
  );
  assert.match(
    ndArrayProblem({ shape: [1.5], dtype: "int8", data: new Int8Array(1) })!,
    /non-negative integers/,
  );
  assert.match(
    ndArrayProblem({ shape: [1], dtype: "complex64" as DType, data: new Int8Array(1) })!,
    /unknown dtype/,
  );
  assert.match(ndArrayProblem({ shape: [1], dtype: "float16", data: new Float32Array(1) })!, /Uint16Array/);
});

Deno.test("dense strides are row-major: the last dimension contiguous", () => {
  assert.deepEqual(denseStrides([2, 3, 4, 5]), [60, 20, 5, 1]);
  assert.deepEqual(denseStrides([7]), [1]);
  assert.deepEqual(denseStrides([]), []);
});
