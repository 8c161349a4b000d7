import assert from "node:assert/strict";
import { loadNpy } from "../../../formats/npy.ts";
import { toFloat32 } from "../../../formats/ndarray.ts";
import type { Raster } from "../../../plugins/data/raster.ts";
import {
  appendRows,
  filterByArea,
  instanceExtents,
  instanceFeatureRows,
} from "../../../plugins/features/instance_rows.ts";

const PARITY = new URL("../../fixtures/pytorch-parity/", import.meta.url);
const expected = JSON.parse(await Deno.readTextFile(new URL("fixtures/encoded_rows.json", import.meta.url)));

/** An NCHW .npy with N = 1 as NHWC data. */
async function nhwc(name: string): Promise<Float32Array> {
  const array = await loadNpy(new URL(name, PARITY).pathname);
  const [, c, h, w] = array.shape;
  const data = toFloat32(array);
  const out = new Float32Array(data.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = data[k * h * w + i];
  return out;
}

async function parityInst(): Promise<Raster<Int32Array>> {
  const array = await loadNpy(new URL("inst.npy", PARITY).pathname);
  return { width: array.shape[3], height: array.shape[2], channels: 1, data: array.data as Int32Array };
}

function assertRowsClose(actual: Map<number, number[][]>, wanted: Record<string, number[][]>) {
  const nonEmpty = Object.entries(wanted).filter(([, rows]) => rows.length > 0);
  assert.deepEqual([...actual.keys()].sort(), nonEmpty.map(([k]) => Number(k)).sort());
  for (const [label, rows] of nonEmpty) {
    const got = actual.get(Number(label))!;
    assert.equal(got.length, rows.length, `class ${label}`);
    rows.forEach((row, r) =>
      row.forEach((v, k) => assert.ok(Math.abs(got[r][k] - v) <= 1e-6, `class ${label} row ${r}[${k}]`))
    );
  }
}

Deno.test("instanceFeatureRows() reproduces the official rows on the parity encoder output", async () => {
  const rows = instanceFeatureRows(await nhwc("E_pooled_out.npy"), await parityInst(), {
    feat_num: 3,
    label_nc: 5,
    file: "E_pooled_out.npy",
  });
  assertRowsClose(rows, expected.pooled);
});

Deno.test("instanceFeatureRows() takes the middle pixel (num // 2 in raster order) of each instance", async () => {
  const raw = await nhwc("E_raw_out.npy");
  const inst = await parityInst();
  const rows = instanceFeatureRows(raw, inst, { feat_num: 3, label_nc: 5, file: "E_raw_out.npy" });
  assertRowsClose(rows, expected.raw);
  // the raw output varies within an instance, so the first pixel would give another row
  const first = inst.data.indexOf(3000);
  assert.notEqual(raw[first * 3], rows.get(3)![0][0]);
});

Deno.test("filterByArea() keeps the official rows with area > 0.5 and drops the area column", async () => {
  const rows = instanceFeatureRows(await nhwc("E_pooled_out.npy"), await parityInst(), {
    feat_num: 3,
    label_nc: 5,
    file: "E_pooled_out.npy",
  });
  const filtered = new Map([...rows].map(([label, list]) => [label, filterByArea(list)]));
  assertRowsClose(filtered, expected.filtered);
  assert.deepEqual(filterByArea([[1, 2, 0.5], [3, 4, 0.51], [5, 6, 0.2]]), [[3, 4]]);
});

Deno.test("the area column is num / (h·w // 32) and rows accumulate per class over images", () => {
  // 8×9 = 72 pixels → denominator 72 // 32 = 2; instance 26001 has 3 pixels → area 1.5
  const data = new Int32Array(72).fill(7);
  data.set([26001, 26001, 26001], 10);
  const inst = { width: 9, height: 8, channels: 1, data };
  const pooled = new Float32Array(72 * 2).fill(0.25);
  const rows = instanceFeatureRows(pooled, inst, { feat_num: 2, label_nc: 35, file: "x" });
  assert.deepEqual(rows.get(26), [[0.25, 0.25, 1.5]]);
  assert.deepEqual(rows.get(7), [[0.25, 0.25, 34.5]]);
  const all = new Map<number, number[][]>();
  appendRows(all, rows);
  appendRows(all, rows);
  assert.equal(all.get(26)!.length, 2);
});

Deno.test("instanceExtents() lists ids ascending with counts and middle pixel indices", () => {
  const inst = { width: 5, height: 1, channels: 1, data: new Int32Array([9, 3, 9, 9, 3]) };
  assert.deepEqual([...instanceExtents(inst)], [[3, { count: 2, middle: 4 }], [9, { count: 3, middle: 2 }]]);
});

Deno.test("instanceFeatureRows() rejects a size mismatch and classes beyond label_nc, naming the file", () => {
  const inst = { width: 8, height: 8, channels: 1, data: new Int32Array(64).fill(40001) };
  assert.throws(
    () => instanceFeatureRows(new Float32Array(64 * 3), inst, { feat_num: 3, label_nc: 35, file: "a.png" }),
    /a\.png: instance id\(s\) 40001 belong to classes outside 0…34/,
  );
  assert.throws(
    () => instanceFeatureRows(new Float32Array(10), inst, { feat_num: 3, label_nc: 35, file: "a.png" }),
    /a\.png: encoder features hold 10 values but the 8×8 instance map needs 64×3/,
  );
});
