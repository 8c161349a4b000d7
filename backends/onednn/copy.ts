/**
 * Strided copies on oneDNN: a reorder between two float32 layouts of the same dimensions, each given
 * by its strides. One such copy places a tensor into a channel range of a concatenation, reads a
 * window out of a tensor (a slice), or writes a tensor into the interior of a padded one.
 * tfjs-backend-wasm does these channel-strided copies in JavaScript, a short row at a time (the label
 * map and the image concatenated for the discriminator, 36 + 3 channels at 256×128: 3.3 ms); oneDNN's
 * JIT reorder does it on every thread (0.17 ms).
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, dnnlDims, implName, outSlot, pointerIn } from "./native.ts";
import { buildOwned, execArgs, type ReadyPrimitive } from "./owned.ts";

/** A copy of a `dims` block from a buffer with `srcStrides` to one with `dstStrides` (in elements). */
export interface CopySpec {
  kind: "strided_copy";
  dims: readonly number[];
  srcStrides: readonly number[];
  dstStrides: readonly number[];
}

/**
 * Whether a cached spec is a strided copy.
 *
 * @param spec a spec
 * @returns true for {@link CopySpec}
 */
export function isCopySpec(spec: { kind: string }): spec is CopySpec {
  return spec.kind === "strided_copy";
}

/**
 * A key that identifies a spec, for caching primitives.
 *
 * @param s the copy
 * @returns a string unique per distinct spec
 */
export function copySpecKey(s: CopySpec): string {
  return [s.kind, s.dims.join("x"), s.srcStrides.join(":"), s.dstStrides.join(":")].join(",");
}

function stridedDesc(ctx: DnnlContext, dims: readonly number[], strides: readonly number[]): Uint8Array {
  const md = new Uint8Array(DNNL.MEMORY_DESC_BYTES);
  check(
    ctx.lib.dnnl_memory_desc_init_by_strides(md, dims.length, dnnlDims(dims), DNNL.f32, dnnlDims(strides)),
    `dnnl_memory_desc_init_by_strides([${dims}], strides [${strides}])`,
  );
  return md;
}

/**
 * Builds a strided copy. `execute` takes the source and destination pointers (each already at the
 * block's first element).
 *
 * @param ctx the oneDNN context
 * @param s the copy
 * @returns the primitive
 * @throws {BackendError} when oneDNN rejects the layouts
 */
export function createCopyPrimitive(ctx: DnnlContext, s: CopySpec): ReadyPrimitive {
  const { lib } = ctx;
  const from = stridedDesc(ctx, s.dims, s.srcStrides), to = stridedDesc(ctx, s.dims, s.dstStrides);
  const slot = outSlot();
  const fromPtr = Deno.UnsafePointer.of(from), toPtr = Deno.UnsafePointer.of(to);
  check(
    lib.dnnl_reorder_primitive_desc_create(slot, fromPtr, ctx.engine, toPtr, ctx.engine, null),
    `strided copy of [${s.dims}]`,
  );
  const pd = pointerIn(slot, "dnnl_reorder_primitive_desc_create");
  return buildOwned(ctx, [pd], (owned) => {
    const impl = implName(lib, pd);
    const primitive = owned.primitive(pd);
    const src = owned.memory(fromPtr, null), dst = owned.memory(toPtr, null);
    const packed = execArgs([[DNNL.arg_src, src], [DNNL.arg_dst, dst]]);
    return {
      impl,
      execute(pointers) {
        if (pointers.length !== 2) {
          throw new RangeError(`strided copy: expected 2 buffers, got ${pointers.length}`);
        }
        check(lib.dnnl_memory_set_data_handle(src, pointers[0]), "set handle");
        check(lib.dnnl_memory_set_data_handle(dst, pointers[1]), "set handle");
        check(lib.dnnl_primitive_execute(primitive, ctx.stream, 2, packed), `strided copy of [${s.dims}]`);
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
