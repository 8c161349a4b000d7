/**
 * Shared helpers of the oneDNN kernel tests: seeded data, running the same computation on the cpu
 * backend (the reference) and on wasm + oneDNN, and comparing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { enableOneDnnKernels, loadOneDnn, oneDnnInfo } from "../../../backends/onednn/mod.ts";
import { openDnnl } from "../../../backends/onednn/ffi.ts";
import { createContext, type DnnlContext } from "../../../backends/onednn/native.ts";

/** Whether oneDNN can run here; tests that need it are ignored otherwise. */
export const ONEDNN = loadOneDnn();

let context: DnnlContext | null = null;

/**
 * A oneDNN context of the tests' own, for building primitives directly (opened on first use).
 *
 * @returns the context
 * @throws {Error} when oneDNN does not load here
 */
export function ctx(): DnnlContext {
  if (!context) {
    const opened = openDnnl();
    if (!opened.ok) throw new Error(opened.reason);
    context = createContext(opened.lib.symbols);
  }
  return context;
}

/** Deterministic values in [-1, 1) (a 32-bit LCG), so failures reproduce. */
export function seeded(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * A tensor of {@link seeded} values.
 *
 * @param shape NHWC shape
 * @param seed the seed
 * @returns the tensor
 */
export function seededTensor(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.tensor4d(seeded(shape.reduce((a, b) => a * b), seed), shape);
}

/**
 * Runs `fn` on a backend inside `tidy` and returns its outputs' values.
 *
 * @param backend "cpu" (reference) or "wasm" (with oneDNN kernels enabled)
 * @param fn builds the tensors to read
 * @returns the values of each returned tensor
 */
export async function valuesOn(
  backend: "cpu" | "wasm",
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  if (backend === "wasm") enableOneDnnKernels();
  const result = tf.tidy(fn);
  const tensors = Array.isArray(result) ? result : [result];
  const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(tensors);
  return values;
}

/**
 * Asserts two arrays agree to `tolerance` relative to the reference's largest magnitude.
 *
 * @param actual values from oneDNN
 * @param expected values from the cpu backend
 * @param label what is compared, for the message
 */
export function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  label: string,
  tolerance = 1e-4,
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(scale > 0, `${label}: the reference is all zeros, the comparison would prove nothing`);
  assert.ok(worst <= tolerance * scale, `${label}: max error ${worst} > ${tolerance} × ${scale}`);
}

/**
 * Runs `fn` on cpu and on wasm + oneDNN and compares every output; checks no tensor leaks and, when
 * given, that oneDNN really ran the expected convolution (not a fallback kernel).
 *
 * @param label the case, for messages
 * @param fn builds the outputs from scratch (called once per backend)
 * @param primitive the pass and input shape the oneDNN primitive must have, e.g. `forward,1,9,11,5`
 */
export async function assertMatchesCpu(
  label: string,
  fn: () => tf.Tensor | tf.Tensor[],
  primitive?: string,
): Promise<void> {
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  const expected = await valuesOn("cpu", fn);
  const actual = await valuesOn("wasm", fn);
  expected.forEach((e, i) => assertClose(actual[i], e, `${label} output ${i}`));
  if (primitive) {
    const keys = [...oneDnnInfo().primitives.keys()];
    assert.ok(keys.some((k) => k.startsWith(`${primitive},`)), `${label}: no oneDNN primitive ${primitive}`);
  }
  assert.equal(tf.memory().numTensors, before, `${label}: leaked tensors`);
}

/** A convolution's padding as TensorFlow.js takes it. */
export type Pad = "same" | "valid" | number | [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
];

/** A convolution case of the kernel tests: input shape, square filter, output channels, stride, padding. */
export interface ConvCase {
  name: string;
  x: [number, number, number, number];
  k: number;
  outC: number;
  stride: number;
  pad: Pad;
  dilation?: number;
}

/** The geometries pix2pixHD uses, and the corners of TensorFlow.js's padding and rounding. */
export const CONV_CASES: ConvCase[] = [
  { name: "3x3 s1 same", x: [2, 9, 11, 5], k: 3, outC: 6, stride: 1, pad: "same" },
  { name: "3x3 s2 same", x: [2, 9, 11, 5], k: 3, outC: 6, stride: 2, pad: "same" },
  { name: "3x3 s1 valid", x: [1, 9, 11, 5], k: 3, outC: 4, stride: 1, pad: "valid" },
  {
    name: "3x3 s2 valid (last row and column dropped)",
    x: [1, 10, 12, 5],
    k: 3,
    outC: 4,
    stride: 2,
    pad: "valid",
  },
  { name: "4x4 s2 explicit pad 2 (pix2pixHD D)", x: [1, 12, 16, 9], k: 4, outC: 8, stride: 2, pad: 2 },
  { name: "4x4 s1 explicit pad 2 (pix2pixHD D tail)", x: [1, 5, 6, 8], k: 4, outC: 1, stride: 1, pad: 2 },
  { name: "7x7 s1 valid (after reflect pad 3)", x: [1, 14, 16, 6], k: 7, outC: 4, stride: 1, pad: "valid" },
  {
    name: "7x7 s2 asymmetric explicit pads",
    x: [1, 13, 15, 3],
    k: 7,
    outC: 5,
    stride: 2,
    pad: [[0, 0], [1, 2], [3, 0], [0, 0]],
  },
];
