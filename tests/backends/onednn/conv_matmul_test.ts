import assert from "node:assert/strict";
import type { ConvSpec } from "../../../backends/onednn/conv_desc.ts";
import {
  createMatmulConvVariant,
  matmulConvFits,
  PATCHES_MAX_BYTES,
  patchLayout,
} from "../../../backends/onednn/conv_matmul.ts";
import { createConvVariant } from "../../../backends/onednn/conv_variant.ts";
import { DNNL } from "../../../backends/onednn/ffi.ts";
import { assertClose, ctx, ONEDNN, seeded } from "./conv_helpers.ts";

interface Geometry {
  name: string;
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  filter: number;
  stride: number;
  dilation: number;
  pad: [number, number, number, number];
}

function spec(kind: ConvSpec["kind"], g: Geometry): ConvSpec {
  const [padTop, padBottom, padLeft, padRight] = g.pad;
  const extent = (size: number, before: number, after: number) =>
    Math.floor((size + before + after - (g.filter - 1) * g.dilation - 1) / g.stride) + 1;
  return {
    kind,
    batch: g.batch,
    inHeight: g.inHeight,
    inWidth: g.inWidth,
    inChannels: g.inChannels,
    outHeight: extent(g.inHeight, padTop, padBottom),
    outWidth: extent(g.inWidth, padLeft, padRight),
    outChannels: g.outChannels,
    filterHeight: g.filter,
    filterWidth: g.filter,
    strideHeight: g.stride,
    strideWidth: g.stride,
    dilationHeight: g.dilation,
    dilationWidth: g.dilation,
    padTop,
    padBottom,
    padLeft,
    padRight,
    bias: false,
    activation: "linear",
    leakyreluAlpha: 0,
  };
}

const GEOMETRIES: Geometry[] = [
  // G's residual convolution: reflection-padded outside, so no padding here
  {
    name: "3×3 unpadded",
    batch: 1,
    inHeight: 10,
    inWidth: 18,
    inChannels: 32,
    outChannels: 48,
    filter: 3,
    stride: 1,
    dilation: 1,
    pad: [0, 0, 0, 0],
  },
  // D's convolutions: 4×4, zero padding 2, stride 2 and 1
  {
    name: "4×4 stride 2 padded",
    batch: 1,
    inHeight: 17,
    inWidth: 33,
    inChannels: 24,
    outChannels: 40,
    filter: 4,
    stride: 2,
    dilation: 1,
    pad: [2, 2, 2, 2],
  },
  {
    name: "4×4 stride 1 padded",
    batch: 1,
    inHeight: 9,
    inWidth: 17,
    inChannels: 16,
    outChannels: 1,
    filter: 4,
    stride: 1,
    dilation: 1,
    pad: [2, 2, 2, 2],
  },
  {
    name: "3×3 uneven padding, dilation 2, batch 2",
    batch: 2,
    inHeight: 11,
    inWidth: 7,
    inChannels: 8,
    outChannels: 12,
    filter: 3,
    stride: 1,
    dilation: 2,
    pad: [1, 3, 2, 0],
  },
  {
    name: "1×1",
    batch: 1,
    inHeight: 5,
    inWidth: 6,
    inChannels: 16,
    outChannels: 16,
    filter: 1,
    stride: 1,
    dilation: 1,
    pad: [0, 0, 0, 0],
  },
];

for (const g of GEOMETRIES) {
  for (const kind of ["backward_data", "backward_weights"] as const) {
    Deno.test({
      name: `onednn matmul variant, ${kind}, ${g.name}: equals oneDNN's convolution`,
      ignore: !ONEDNN.ok,
      fn: () => {
        const s = spec(kind, g);
        const matmul = createMatmulConvVariant(ctx(), s);
        const reference = createConvVariant(ctx(), s, DNNL.tag_hwio);
        try {
          assert.match(matmul.impl, /^patches\+matmul /);
          const xSize = s.batch * s.inHeight * s.inWidth * s.inChannels;
          const ySize = s.batch * s.outHeight * s.outWidth * s.outChannels;
          const wSize = s.filterHeight * s.filterWidth * s.inChannels * s.outChannels;
          const p = (a: Float32Array) => Deno.UnsafePointer.of(a);
          // outputs start as garbage: the variant must write (not add to) every element
          const run = (v: typeof matmul, lend: boolean) => {
            const out = new Float32Array(kind === "backward_data" ? xSize : wSize).fill(Number.NaN);
            const workspace = lend
              ? new Float32Array(Math.ceil(v.workspaceBytes / 4) + 16).fill(Number.NaN)
              : null;
            // a workspace aligned to 64 bytes, as the wasm heap lends it
            const base = workspace ? Deno.UnsafePointer.of(workspace) : null;
            const aligned = base
              ? Deno.UnsafePointer.offset(base, (64 - Number(Deno.UnsafePointer.value(base)) % 64) % 64)
              : null;
            const ins = kind === "backward_data"
              ? [p(seeded(ySize, 1)), p(seeded(wSize, 2))]
              : [p(seeded(xSize, 3)), p(seeded(ySize, 1))];
            v.execute([...ins, p(out), ...(aligned ? [aligned] : [])]);
            return out;
          };
          const expected = run(reference, false);
          assertClose(run(matmul, true), expected, `${g.name}, lent workspace`);
          assertClose(run(matmul, false), expected, `${g.name}, its own workspace`);
        } finally {
          matmul.dispose();
          reference.dispose();
        }
      },
    });
  }
}

Deno.test("the patch layout of an unpadded 3×3 convolution is dense, of a padded one not", () => {
  const unpadded = patchLayout(spec("backward_weights", GEOMETRIES[0]), true);
  assert.equal(unpadded.taps.length, 9);
  assert.ok(unpadded.dense);
  assert.equal(unpadded.k, 9 * 32);
  assert.equal(unpadded.m, 8 * 16);
  const padded = patchLayout(spec("backward_data", GEOMETRIES[1]), false);
  assert.equal(padded.taps.length, 16);
  assert.ok(!padded.dense);
  // tap (0, 0) of a stride-2 4×4 with padding 2 starts at output (1, 1), input (0, 0)
  assert.deepEqual(padded.taps[0].dims, [1, 9 - 1, 17 - 1, 24]);
  assert.equal(padded.taps[0].imageOffset, 0);
  assert.equal(padded.taps[0].patchOffset, 1 * 17 + 1);
  assert.deepEqual(padded.patchStrides, [9 * 17, 17, 1, 9 * 17]);
  // pixel-major: tap (1, 2) of output (1, 0)'s patch row
  const pixelMajor = patchLayout(spec("backward_weights", GEOMETRIES[1]), true);
  const tap = pixelMajor.taps[1 * 4 + 2];
  assert.equal(tap.patchOffset, (1 * 17 + 0) * pixelMajor.k + (1 * 4 + 2) * 24);
  assert.deepEqual(pixelMajor.patchStrides, [9 * 17 * pixelMajor.k, 17 * pixelMajor.k, pixelMajor.k, 1]);
});

Deno.test("the matmul variant is offered for backward passes whose patches fit, never forward", () => {
  const residual = { ...GEOMETRIES[0], inChannels: 512, outChannels: 512 };
  assert.ok(matmulConvFits(spec("backward_data", residual)));
  assert.ok(matmulConvFits(spec("backward_weights", residual)));
  assert.ok(!matmulConvFits(spec("forward", residual)));
  const big = { ...residual, inHeight: 130, inWidth: 258, inChannels: 64 }; // 128·256 pixels × 576
  assert.ok(4 * 128 * 256 * 576 > PATCHES_MAX_BYTES);
  assert.ok(!matmulConvFits(spec("backward_data", big)));
});
