/**
 * oneDNN's element-wise binary primitive on flat float32 buffers: `dst = op(s0·src0, s1·src1)` with
 * optional per-source scales, then a chain of post-ops (accumulate into dst, an element-wise function,
 * another binary operation with its own operand, broadcast when it has one element). One pass over
 * memory for what TensorFlow.js runs as several kernels with a temporary each.
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, denseDesc, type DnnlContext, implName, memoryDesc } from "./native.ts";
import { buildOwned, execArgs } from "./owned.ts";
import { createPrimitiveDesc, type PostOp } from "./primitive_desc.ts";

/** What a binary primitive computes. */
export interface BinarySpec {
  /** `DNNL.binary_add`, `DNNL.binary_mul`, `DNNL.binary_div`, … */
  alg: number;
  /** Elements of src0 and dst. */
  length: number;
  /** Elements of src1: `length`, or 1 to broadcast a scalar. */
  src1Length: number;
  /** Scale of src0 (default 1). */
  scale0?: number;
  /** Scale of src1 (default 1). */
  scale1?: number;
  /** Post-ops, in order. */
  postOps?: readonly PostOp[];
}

/** A binary primitive, ready to run on raw pointers. */
export interface BinaryPrimitive {
  /** oneDNN's implementation name (e.g. `jit:uni`). */
  readonly impl: string;
  /**
   * Runs it synchronously. `dst` may be `src0` (in place).
   *
   * @param src0 first operand
   * @param src1 second operand
   * @param dst result
   * @param operands one buffer per `binary` post-op, in order
   */
  execute(
    src0: Deno.PointerValue,
    src1: Deno.PointerValue,
    dst: Deno.PointerValue,
    operands?: readonly Deno.PointerValue[],
  ): void;
  /** Frees the native objects. */
  dispose(): void;
}

/**
 * Builds a binary primitive.
 *
 * @param ctx the oneDNN context
 * @param spec the operation
 * @returns the primitive
 * @throws {BackendError} when oneDNN rejects the combination
 */
export function createBinaryPrimitive(ctx: DnnlContext, spec: BinarySpec): BinaryPrimitive {
  const { lib } = ctx;
  const mdDst = memoryDesc(lib, [spec.length], DNNL.tag_a);
  const mdSrc1 = memoryDesc(lib, [spec.src1Length], DNNL.tag_a);
  const desc = new Uint8Array(DNNL.BINARY_DESC_BYTES);
  check(lib.dnnl_binary_desc_init(desc, spec.alg, mdDst, mdSrc1, mdDst), "dnnl_binary_desc_init");
  const pd = createPrimitiveDesc(ctx, desc, "binary primitive", {
    scales: [[DNNL.arg_src, spec.scale0 ?? 1], [DNNL.arg_src_1, spec.scale1 ?? 1]],
    postOps: spec.postOps,
  });
  return buildOwned(ctx, [pd], (owned) => {
    const impl = implName(lib, pd);
    const primitive = owned.primitive(pd);
    const src0 = owned.memory(Deno.UnsafePointer.of(mdDst), null);
    const src1 = owned.memory(Deno.UnsafePointer.of(mdSrc1), null);
    const dst = owned.memory(Deno.UnsafePointer.of(mdDst), null);
    const operands: Deno.PointerObject[] = [];
    const args: [number, Deno.PointerObject][] = [[DNNL.arg_src, src0], [DNNL.arg_src_1, src1], [
      DNNL.arg_dst,
      dst,
    ]];
    (spec.postOps ?? []).forEach((op, i) => {
      if (op.kind !== "binary") return;
      const mdOperand = denseDesc(lib, op.dims);
      const memory = owned.memory(Deno.UnsafePointer.of(mdOperand), null);
      operands.push(memory);
      args.push([DNNL.arg_post_op_base * (i + 1) | DNNL.arg_src_1, memory]);
    });
    const packed = execArgs(args);
    return {
      impl,
      execute(a, b, out, extra = []) {
        if (extra.length !== operands.length) {
          throw new RangeError(
            `binary primitive: expected ${operands.length} post-op operands, got ${extra.length}`,
          );
        }
        check(lib.dnnl_memory_set_data_handle(src0, a), "set handle");
        check(lib.dnnl_memory_set_data_handle(src1, b), "set handle");
        check(lib.dnnl_memory_set_data_handle(dst, out), "set handle");
        operands.forEach((memory, i) =>
          check(lib.dnnl_memory_set_data_handle(memory, extra[i]), "set handle")
        );
        check(lib.dnnl_primitive_execute(primitive, ctx.stream, args.length, packed), "binary primitive");
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
