/**
 * A convolution's backward passes as one matrix product on oneDNN's matmul (`brg:avx512_core` and
 * kin), with the patches laid out by strided reorders — a candidate variant beside the convolution
 * primitive's own (conv_primitive.ts keeps whichever runs faster).
 *
 * With `M` output pixels, `K = kh·kw·inC` and the filter `hwio` read in place as a `[K, outC]` matrix,
 * the patches are a matrix `P` of `K` rows and `M` columns (entries whose input pixel lies in the zero
 * padding are 0):
 *
 *   backward_weights   dW = P · dy                P stored pixel-major (`Pᵀ`, `[M, K]`: each pixel's
 *                                                 patch contiguous), filled from x by one strided
 *                                                 reorder per tap
 *   backward_data      P = W · dyᵀ, then dx = 0 and each tap's block of P added into dx by a
 *                      reorder with a sum post-op (a tap's pixels never overlap one another);
 *                      P stored row-major (`[K, M]`, pixel fastest), the faster product here
 *
 * oneDNN 2.6's convolution runs these two passes of G's 512-channel residual convolutions at 16×8
 * (training at ngf 32, 256×128) as `gemm:jit` at 123 (backward data) and 155 GMAC/s (backward
 * weights); its jit kernels need the filter reordered first, which costs more than they save. The
 * matmul packs the filter as it goes and runs the backward-data product at 190–230 GMAC/s and the
 * backward-weights one at about 200; the patches' reorders add 0.05–0.12 ms to a 1.3–1.6 ms pass.
 * The patch matrix lives in the workspace the caller lends, so the candidate is offered only where
 * it is small ({@link PATCHES_MAX_BYTES}).
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { type ConvSpec, describeConv } from "./conv_desc.ts";
import { type ConvVariant, withWorkspace } from "./conv_variant.ts";
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, dnnlDims, implName } from "./native.ts";
import { buildOwned, execArgs, type Owned } from "./owned.ts";
import { createPrimitiveDesc } from "./primitive_desc.ts";

/** Largest patch matrix (bytes) for which the matmul variant is offered: it is part of the workspace. */
export const PATCHES_MAX_BYTES = 16 * 2 ** 20;

/** Alignment of the matmul's scratchpad after the patches in the workspace (oneDNN asks 64 bytes). */
const WORKSPACE_ALIGN = 64;

/** One tap of the filter: the output pixels whose input pixel is inside x, as strided 4-D views. */
export interface PatchTap {
  /** `[batch, rows, columns, inC]` of the view. */
  dims: readonly [number, number, number, number];
  /** Float offset of the view's first element in the patch matrix. */
  patchOffset: number;
  /** Float offset of the view's first element in x (or dx). */
  imageOffset: number;
}

/** The taps of a convolution and whether they cover every output pixel (no padding entries). */
export interface PatchLayout {
  taps: PatchTap[];
  /** Strides of a tap's view in the patch matrix, per view dimension. */
  patchStrides: readonly [number, number, number, number];
  /** Strides of a tap's view in x, per view dimension. */
  imageStrides: readonly [number, number, number, number];
  /** Whether every tap reads an input pixel for every output pixel (else P has zeros). */
  dense: boolean;
  /** Output pixels (`batch·outH·outW`). */
  m: number;
  /** Patch length (`kh·kw·inC`). */
  k: number;
}

/** The first and one-past-last output index whose input index `o·stride − pad + tap·dilation` is in `[0, size)`. */
function validRange(
  out: number,
  size: number,
  stride: number,
  pad: number,
  offset: number,
): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - offset) / stride));
  const hi = Math.min(out, Math.floor((size - 1 + pad - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Lays out the patch matrix of a convolution.
 *
 * @param s the geometry
 * @param pixelMajor `[M, K]` (each pixel's patch contiguous) rather than `[K, M]` (pixel fastest)
 * @returns the taps and strides
 */
export function patchLayout(s: ConvSpec, pixelMajor: boolean): PatchLayout {
  const m = s.batch * s.outHeight * s.outWidth;
  const k = s.filterHeight * s.filterWidth * s.inChannels;
  const taps: PatchTap[] = [];
  let dense = true;
  for (let kh = 0; kh < s.filterHeight; kh++) {
    const [y0, y1] = validRange(s.outHeight, s.inHeight, s.strideHeight, s.padTop, kh * s.dilationHeight);
    for (let kw = 0; kw < s.filterWidth; kw++) {
      const [x0, x1] = validRange(s.outWidth, s.inWidth, s.strideWidth, s.padLeft, kw * s.dilationWidth);
      if (y1 - y0 < s.outHeight || x1 - x0 < s.outWidth) dense = false;
      if (y1 === y0 || x1 === x0) continue;
      const iy = y0 * s.strideHeight - s.padTop + kh * s.dilationHeight;
      const ix = x0 * s.strideWidth - s.padLeft + kw * s.dilationWidth;
      taps.push({
        dims: [s.batch, y1 - y0, x1 - x0, s.inChannels],
        patchOffset: pixelMajor
          ? (y0 * s.outWidth + x0) * k + (kh * s.filterWidth + kw) * s.inChannels
          : (kh * s.filterWidth + kw) * s.inChannels * m + y0 * s.outWidth + x0,
        imageOffset: (iy * s.inWidth + ix) * s.inChannels,
      });
    }
  }
  return {
    taps,
    patchStrides: pixelMajor
      ? [s.outHeight * s.outWidth * k, s.outWidth * k, k, 1]
      : [s.outHeight * s.outWidth, s.outWidth, 1, m],
    imageStrides: [
      s.inHeight * s.inWidth * s.inChannels,
      s.strideHeight * s.inWidth * s.inChannels,
      s.strideWidth * s.inChannels,
      1,
    ],
    dense,
    m,
    k,
  };
}

/**
 * Whether the matmul variant is offered for a pass: backward passes whose patch matrix fits
 * {@link PATCHES_MAX_BYTES}.
 *
 * @param s the geometry and pass
 * @returns true when it is a candidate
 */
export function matmulConvFits(s: ConvSpec): boolean {
  const m = s.batch * s.outHeight * s.outWidth;
  const k = s.filterHeight * s.filterWidth * s.inChannels;
  return s.kind !== "forward" && 4 * m * k <= PATCHES_MAX_BYTES;
}

/** A float32 memory descriptor of a strided view. */
function stridedDesc(ctx: DnnlContext, dims: readonly number[], strides: readonly number[]): Uint8Array {
  const md = new Uint8Array(DNNL.MEMORY_DESC_BYTES);
  check(
    ctx.lib.dnnl_memory_desc_init_by_strides(md, dims.length, dnnlDims(dims), DNNL.f32, dnnlDims(strides)),
    `strided view [${dims}] / [${strides}]`,
  );
  return md;
}

/** A reorder of one tap between the patch matrix and x, its memory objects and arguments. */
interface TapCopy {
  tap: PatchTap;
  reorder: Deno.PointerObject;
  patch: Deno.PointerObject;
  image: Deno.PointerObject;
  args: Uint8Array;
}

function tapCopies(ctx: DnnlContext, owned: Owned, layout: PatchLayout, toImage: boolean): TapCopy[] {
  return layout.taps.map((tap) => {
    const patchMd = Deno.UnsafePointer.of(stridedDesc(ctx, tap.dims, layout.patchStrides));
    const imageMd = Deno.UnsafePointer.of(stridedDesc(ctx, tap.dims, layout.imageStrides));
    const patch = owned.memory(patchMd, null), image = owned.memory(imageMd, null);
    // into dx, each tap adds to what the others wrote (a sum post-op)
    const reorder = toImage
      ? owned.reorder(patchMd, imageMd, { postOps: [{ kind: "sum", scale: 1 }] })
      : owned.reorder(imageMd, patchMd);
    const args = execArgs(
      toImage ? [[DNNL.arg_src, patch], [DNNL.arg_dst, image]] : [
        [DNNL.arg_src, image],
        [DNNL.arg_dst, patch],
      ],
    );
    return { tap, reorder, patch, image, args };
  });
}

/** Zeroes `bytes` bytes at `pointer`. */
function zero(pointer: Deno.PointerObject, bytes: number): void {
  new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer, bytes)).fill(0);
}

/**
 * Builds the matmul variant of a backward pass.
 *
 * @param ctx the oneDNN context
 * @param spec the geometry and pass (`backward_data` or `backward_weights`)
 * @returns the variant: `execute` takes backward_data: dy, filter, dx; backward_weights: x, dy,
 * dfilter; then the workspace (the patch matrix and the matmul's scratchpad)
 * @throws {BackendError} for a forward pass, or when oneDNN has no matmul for the shapes
 */
export function createMatmulConvVariant(ctx: DnnlContext, spec: ConvSpec): ConvVariant {
  if (spec.kind === "forward") {
    throw new BackendError("onednn", `the matmul variant is for backward passes, not ${describeConv(spec)}`);
  }
  const { lib } = ctx;
  const backwardData = spec.kind === "backward_data";
  const layout = patchLayout(spec, !backwardData);
  const { m, k } = layout;
  const n = spec.outChannels;
  // backward_data: P[k, m] = W[k, n] · dyᵀ[n, m]; backward_weights: dW[k, n] = P[k, m] · dy[m, n]
  const srcMd = backwardData ? stridedDesc(ctx, [k, n], [n, 1]) : stridedDesc(ctx, [k, m], [1, k]);
  const weightsMd = backwardData ? stridedDesc(ctx, [n, m], [1, n]) : stridedDesc(ctx, [m, n], [n, 1]);
  const dstMd = backwardData ? stridedDesc(ctx, [k, m], [m, 1]) : stridedDesc(ctx, [k, n], [n, 1]);
  const desc = new Uint8Array(DNNL.MATMUL_DESC_BYTES);
  check(lib.dnnl_matmul_desc_init(desc, srcMd, weightsMd, null, dstMd), `matmul for ${describeConv(spec)}`);
  const pd = createPrimitiveDesc(ctx, desc, `oneDNN matmul for ${describeConv(spec)}`, {
    scratchpad: "user",
  });
  return buildOwned(ctx, [pd], (owned) => {
    const impl = `patches+matmul ${implName(lib, pd)}`;
    const matmul = owned.primitive(pd);
    const src = owned.memory(Deno.UnsafePointer.of(srcMd), null);
    const weights = owned.memory(Deno.UnsafePointer.of(weightsMd), null);
    const dst = owned.memory(Deno.UnsafePointer.of(dstMd), null);
    const scratchpadMd = lib.dnnl_primitive_desc_query_md(pd, DNNL.query_scratchpad_md, 0);
    const scratchpadBytes = scratchpadMd === null ? 0 : Number(lib.dnnl_memory_desc_get_size(scratchpadMd));
    const scratchpad = scratchpadBytes > 0 ? owned.memory(scratchpadMd, null) : null;
    const patchBytes = 4 * m * k;
    const scratchpadAt = Math.ceil(patchBytes / WORKSPACE_ALIGN) * WORKSPACE_ALIGN;
    const workspaceBytes = scratchpadAt + scratchpadBytes;
    const args = execArgs([
      [DNNL.arg_src, src],
      [DNNL.arg_weights, weights],
      [DNNL.arg_dst, dst],
      ...(scratchpad ? [[DNNL.arg_scratchpad, scratchpad] as [number, Deno.PointerObject]] : []),
    ]);
    const copies = tapCopies(ctx, owned, layout, backwardData);
    const imageBytes = 4 * spec.batch * spec.inHeight * spec.inWidth * spec.inChannels;
    const label = describeConv(spec);
    const copy = (image: Deno.PointerObject, patches: Deno.PointerObject) => {
      for (const c of copies) {
        check(
          lib.dnnl_memory_set_data_handle(c.image, Deno.UnsafePointer.offset(image, 4 * c.tap.imageOffset)),
          "set handle",
        );
        check(
          lib.dnnl_memory_set_data_handle(c.patch, Deno.UnsafePointer.offset(patches, 4 * c.tap.patchOffset)),
          "set handle",
        );
        check(lib.dnnl_primitive_execute(c.reorder, ctx.stream, 2, c.args), `${label}: patches`);
      }
    };
    const multiply = (
      a: Deno.PointerObject,
      b: Deno.PointerObject,
      c: Deno.PointerObject,
      base: Deno.PointerObject,
    ) => {
      check(lib.dnnl_memory_set_data_handle(src, a), "set handle");
      check(lib.dnnl_memory_set_data_handle(weights, b), "set handle");
      check(lib.dnnl_memory_set_data_handle(dst, c), "set handle");
      if (scratchpad) {
        check(
          lib.dnnl_memory_set_data_handle(scratchpad, Deno.UnsafePointer.offset(base, scratchpadAt)),
          "set handle",
        );
      }
      check(lib.dnnl_primitive_execute(matmul, ctx.stream, scratchpad ? 4 : 3, args), label);
    };
    return {
      impl,
      reordersWeights: false,
      reordersActivations: false,
      workspaceBytes,
      execute(pointers) {
        if (
          (pointers.length !== 3 && pointers.length !== 4) || pointers.slice(0, 3).some((p) => p === null)
        ) {
          throw new BackendError(
            "onednn",
            `${label}: expected 3 buffers and a workspace, got ${pointers.length}`,
          );
        }
        const [a, b, c] = pointers as Deno.PointerObject[];
        withWorkspace(ctx, workspaceBytes, pointers[3] ?? null, (lent) => {
          const base = lent as Deno.PointerObject;
          if (backwardData) { // a: dy, b: filter, c: dx
            multiply(b, a, base, base);
            zero(c, imageBytes);
            copy(c, base);
          } else { // a: x, b: dy, c: dfilter
            if (!layout.dense) zero(base, patchBytes);
            copy(a, base);
            multiply(base, b, c, base);
          }
        });
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
