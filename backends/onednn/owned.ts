/**
 * Ownership of oneDNN's native objects: primitives and memory objects created together and destroyed
 * together, and the packed `dnnl_exec_arg_t` arrays their executions take.
 *
 * @module
 */
import type { FilterIdentity } from "./filter_cache.ts";
import { DNNL } from "./ffi.ts";
import { check, type DnnlContext, outSlot, pointerIn } from "./native.ts";
import { createReorderDesc, type PrimitiveAttributes } from "./primitive_desc.ts";

/** A primitive (or a few) ready to run on raw pointers to the caller's buffers, in an order its builder documents. */
export interface ReadyPrimitive {
  /** oneDNN's implementation (e.g. `brgconv:avx512_core+reordered filter`), or the candidates while tuning. */
  readonly impl: string;
  /**
   * Bytes of working memory the next `execute` needs (0 or absent: none), lent by the caller as one
   * pointer after the buffers, or null (or left out) for the primitive to allocate it natively for that call.
   */
  readonly workspaceBytes?: number;
  /**
   * Runs it synchronously.
   *
   * @param pointers the buffers, then the workspace when `workspaceBytes` > 0
   * @param filter a convolution's filter tensor, whose reordered copy it may keep for the calls that
   * come back with the same tensor (other primitives ignore it)
   * @throws {BackendError} when oneDNN fails
   */
  execute(pointers: readonly Deno.PointerValue[], filter?: FilterIdentity): void;
  /** Frees the native objects. */
  dispose(): void;
}

/** `DNNL_MEMORY_ALLOCATE`: the library allocates (and frees) the buffer. */
export const MEMORY_ALLOCATE = 0xffffffffffffffffn;

/** Native objects (primitives, memory objects) owned by one user, freed together. */
export class Owned {
  readonly #ctx: DnnlContext;
  readonly #primitives: Deno.PointerObject[] = [];
  readonly #memories: Deno.PointerObject[] = [];

  /** @param ctx the oneDNN context the objects belong to */
  constructor(ctx: DnnlContext) {
    this.#ctx = ctx;
  }

  /** A memory object of descriptor `md` on `handle` (null: none yet; {@link MEMORY_ALLOCATE}: oneDNN's). */
  memory(md: Deno.PointerValue, handle: Deno.PointerValue): Deno.PointerObject {
    const slot = outSlot();
    check(this.#ctx.lib.dnnl_memory_create(slot, md, this.#ctx.engine, handle), "dnnl_memory_create");
    const memory = pointerIn(slot, "dnnl_memory_create");
    this.#memories.push(memory);
    return memory;
  }

  /** The primitive of a primitive descriptor (the descriptor stays the caller's). */
  primitive(pd: Deno.PointerValue): Deno.PointerObject {
    const slot = outSlot();
    check(this.#ctx.lib.dnnl_primitive_create(slot, pd), "dnnl_primitive_create");
    const primitive = pointerIn(slot, "dnnl_primitive_create");
    this.#primitives.push(primitive);
    return primitive;
  }

  /** A reorder primitive between two memory descriptors (attributes: e.g. a sum post-op, adding into `to`). */
  reorder(
    from: Deno.PointerValue,
    to: Deno.PointerValue,
    attributes?: PrimitiveAttributes,
  ): Deno.PointerObject {
    const pd = createReorderDesc(this.#ctx, from, to, attributes);
    try {
      return this.primitive(pd);
    } finally {
      this.#ctx.lib.dnnl_primitive_desc_destroy(pd);
    }
  }

  /** Destroys everything created here. */
  dispose(): void {
    for (const p of this.#primitives.splice(0)) this.#ctx.lib.dnnl_primitive_destroy(p);
    for (const m of this.#memories.splice(0)) this.#ctx.lib.dnnl_memory_destroy(m);
  }
}

/** A `dnnl_exec_arg_t[]` (`{int arg; dnnl_memory_t memory;}`) in JS memory. */
export function execArgs(args: readonly [number, Deno.PointerObject][]): Uint8Array {
  const bytes = new Uint8Array(args.length * DNNL.EXEC_ARG_BYTES);
  const view = new DataView(bytes.buffer);
  args.forEach(([arg, memory], i) => {
    view.setInt32(i * DNNL.EXEC_ARG_BYTES, arg, true);
    view.setBigUint64(i * DNNL.EXEC_ARG_BYTES + 8, BigInt(Deno.UnsafePointer.value(memory)), true);
  });
  return bytes;
}

/**
 * Builds a ready primitive from primitive descriptors: what `build` creates through `owned` is freed
 * if it throws, and the descriptors are destroyed either way (primitives keep what they need).
 *
 * @param ctx the oneDNN context
 * @param descriptors primitive descriptors to destroy afterwards
 * @param build creates primitives and memory objects through `owned`
 * @returns what `build` returns
 */
export function buildOwned<T>(
  ctx: DnnlContext,
  descriptors: readonly Deno.PointerObject[],
  build: (owned: Owned) => T,
): T {
  const owned = new Owned(ctx);
  try {
    return build(owned);
  } catch (err) {
    owned.dispose();
    throw err;
  } finally {
    for (const pd of descriptors) ctx.lib.dnnl_primitive_desc_destroy(pd);
  }
}
