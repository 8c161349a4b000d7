/**
 * Primitive descriptors with their attributes (source scales, post-ops): the one place that creates
 * and frees oneDNN's attribute objects.
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, denseDesc, type DnnlContext, outSlot, pointerIn } from "./native.ts";

/** A step after a primitive's own operation, in order. */
export type PostOp =
  /** `dst = scale · dst_before + result` (the previous contents of dst). */
  | { kind: "sum"; scale: number }
  /** `result = alg(result; alpha, beta)` (e.g. `DNNL.eltwise_sqrt`, `DNNL.eltwise_linear`). */
  | { kind: "eltwise"; alg: number; alpha: number; beta: number }
  /**
   * `result = alg(result, operand)`; the operand is dense (row-major) with dimensions `dims`, those of
   * the result or 1 where it is broadcast (`[1]` against a flat result: a scalar).
   */
  | { kind: "binary"; alg: number; dims: readonly number[] };

/** Attributes of a primitive. */
export interface PrimitiveAttributes {
  /** A common scale per source argument (`DNNL.arg_src`, `DNNL.arg_src_1`), omitted when 1. */
  scales?: readonly (readonly [number, number])[];
  /** Post-ops, in order. */
  postOps?: readonly PostOp[];
  /** `user`: each execution is given its scratchpad (`DNNL.arg_scratchpad`); default: oneDNN keeps its own. */
  scratchpad?: "user";
}

function createAttributes(ctx: DnnlContext, a: PrimitiveAttributes): Deno.PointerObject {
  const { lib } = ctx;
  const attrSlot = outSlot();
  check(lib.dnnl_primitive_attr_create(attrSlot), "dnnl_primitive_attr_create");
  const attr = pointerIn(attrSlot, "dnnl_primitive_attr_create");
  try {
    for (const [arg, scale] of a.scales ?? []) {
      if (scale !== 1) {
        check(lib.dnnl_primitive_attr_set_scales(attr, arg, 1n, 0, new Float32Array([scale])), "scales");
      }
    }
    if (a.scratchpad === "user") {
      check(lib.dnnl_primitive_attr_set_scratchpad_mode(attr, DNNL.scratchpad_mode_user), "scratchpad mode");
    }
    if (a.postOps?.length) {
      const opsSlot = outSlot();
      check(lib.dnnl_post_ops_create(opsSlot), "dnnl_post_ops_create");
      const ops = pointerIn(opsSlot, "dnnl_post_ops_create");
      try {
        for (const op of a.postOps) {
          if (op.kind === "sum") check(lib.dnnl_post_ops_append_sum(ops, op.scale), "sum post-op");
          else if (op.kind === "eltwise") {
            check(lib.dnnl_post_ops_append_eltwise(ops, 1, op.alg, op.alpha, op.beta), "eltwise post-op");
          } else {
            const md = denseDesc(lib, op.dims);
            check(lib.dnnl_post_ops_append_binary(ops, op.alg, md), "binary post-op");
          }
        }
        check(lib.dnnl_primitive_attr_set_post_ops(attr, ops), "set post-ops");
      } finally {
        lib.dnnl_post_ops_destroy(ops);
      }
    }
    return attr;
  } catch (err) {
    lib.dnnl_primitive_attr_destroy(attr);
    throw err;
  }
}

/**
 * Creates a primitive descriptor (the caller destroys it with `dnnl_primitive_desc_destroy`).
 *
 * @param ctx the oneDNN context
 * @param opDesc the operation descriptor (`dnnl_*_desc_t` bytes)
 * @param what names the primitive in errors
 * @param attributes scales and post-ops (none: default attributes)
 * @param hint the forward primitive descriptor of a backward pass
 * @returns the primitive descriptor
 * @throws {BackendError} when oneDNN has no implementation
 */
export function createPrimitiveDesc(
  ctx: DnnlContext,
  opDesc: Uint8Array,
  what: string,
  attributes: PrimitiveAttributes = {},
  hint: Deno.PointerValue = null,
): Deno.PointerObject {
  const { lib } = ctx;
  const needed = (attributes.scales?.some(([, s]) => s !== 1) ?? false) ||
    (attributes.postOps?.length ?? 0) > 0 || attributes.scratchpad !== undefined;
  const attr = needed ? createAttributes(ctx, attributes) : null;
  try {
    const slot = outSlot();
    check(lib.dnnl_primitive_desc_create(slot, opDesc, attr, ctx.engine, hint), what);
    return pointerIn(slot, "dnnl_primitive_desc_create");
  } finally {
    if (attr) lib.dnnl_primitive_attr_destroy(attr);
  }
}

/**
 * Creates the primitive descriptor of a reorder between two memory descriptors (the caller destroys
 * it with `dnnl_primitive_desc_destroy`).
 *
 * @param ctx the oneDNN context
 * @param from the source's descriptor
 * @param to the destination's descriptor
 * @param attributes post-ops (a sum: add into the destination) and scales; none: a plain copy
 * @returns the primitive descriptor
 * @throws {BackendError} when oneDNN has no reorder between the two
 */
export function createReorderDesc(
  ctx: DnnlContext,
  from: Deno.PointerValue,
  to: Deno.PointerValue,
  attributes: PrimitiveAttributes = {},
): Deno.PointerObject {
  const { lib, engine } = ctx;
  const needed = (attributes.scales?.some(([, s]) => s !== 1) ?? false) ||
    (attributes.postOps?.length ?? 0) > 0;
  const attr = needed ? createAttributes(ctx, attributes) : null;
  try {
    const slot = outSlot();
    check(lib.dnnl_reorder_primitive_desc_create(slot, from, engine, to, engine, attr), "reorder");
    return pointerIn(slot, "dnnl_reorder_primitive_desc_create");
  } finally {
    if (attr) lib.dnnl_primitive_attr_destroy(attr);
  }
}
