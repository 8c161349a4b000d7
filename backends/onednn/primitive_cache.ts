/**
 * A bounded least-recently-used cache of oneDNN primitives (convolutions, pooling, reductions,
 * element-wise passes, strided copies), keyed by geometry.
 * Creating a oneDNN primitive generates machine code (about a millisecond); a training step reuses a
 * few dozen shapes.
 *
 * @module
 */
import { type ConvSpec, convSpecKey } from "./conv_desc.ts";
import { createConvPrimitive } from "./conv_primitive.ts";
import type { ReadyPrimitive } from "./owned.ts";
import type { DnnlContext } from "./native.ts";
import { createPoolPrimitive, isPoolSpec, type PoolSpec, poolSpecKey } from "./pool.ts";
import { createReducePrimitive, isReduceSpec, type ReduceSpec, reduceSpecKey } from "./reduce.ts";
import { createEltwisePrimitive, type EltwiseSpec, eltwiseSpecKey, isEltwiseSpec } from "./eltwise.ts";
import { type CopySpec, copySpecKey, createCopyPrimitive, isCopySpec } from "./copy.ts";
import {
  type ChannelAffineSpec,
  channelAffineSpecKey,
  createChannelAffinePrimitive,
  isChannelAffineSpec,
} from "./channel_affine.ts";

/**
 * What the cache builds: a convolution pass, a pooling gradient, a pixel reduction, a (leaky) ReLU, a
 * strided copy or a channel-affine pass.
 */
export type PrimitiveSpec = ConvSpec | PoolSpec | ReduceSpec | EltwiseSpec | CopySpec | ChannelAffineSpec;

function keyOf(spec: PrimitiveSpec): string {
  if (isChannelAffineSpec(spec)) return channelAffineSpecKey(spec);
  if (isCopySpec(spec)) return copySpecKey(spec);
  if (isPoolSpec(spec)) return poolSpecKey(spec);
  if (isEltwiseSpec(spec)) return eltwiseSpecKey(spec);
  return isReduceSpec(spec) ? reduceSpecKey(spec) : convSpecKey(spec);
}

function create(ctx: DnnlContext, spec: PrimitiveSpec): ReadyPrimitive {
  if (isChannelAffineSpec(spec)) return createChannelAffinePrimitive(ctx, spec);
  if (isCopySpec(spec)) return createCopyPrimitive(ctx, spec);
  if (isPoolSpec(spec)) return createPoolPrimitive(ctx, spec);
  if (isEltwiseSpec(spec)) return createEltwisePrimitive(ctx, spec);
  return isReduceSpec(spec) ? createReducePrimitive(ctx, spec) : createConvPrimitive(ctx, spec);
}

/** The primitive cache of one oneDNN context. */
export interface PrimitiveCache {
  /**
   * The primitive for a geometry, created on first use.
   *
   * @param spec the geometry
   * @returns the cached or new primitive
   * @throws {BackendError} when oneDNN cannot build it
   */
  get(spec: PrimitiveSpec): ReadyPrimitive;
  /** How many primitives are alive. */
  readonly size: number;
  /** How many primitives were created since the cache was made (more than `size` means evictions). */
  readonly created: number;
  /** Implementation name per cached geometry key (for `doctor` and profiling). */
  implementations(): Map<string, string>;
  /** Frees every cached primitive. */
  clear(): void;
}

/**
 * Creates a cache.
 *
 * @param ctx the oneDNN context
 * @param capacity the most primitives kept; the least recently used one is freed beyond it
 * @returns the cache
 */
export function createPrimitiveCache(ctx: DnnlContext, capacity: number): PrimitiveCache {
  const entries = new Map<string, ReadyPrimitive>();
  let created = 0;
  return {
    get(spec) {
      const key = keyOf(spec);
      let primitive = entries.get(key);
      if (primitive) {
        entries.delete(key); // re-insert: Map iteration order is the recency order
      } else {
        primitive = create(ctx, spec);
        created++;
        while (entries.size >= capacity) {
          const [oldest, evicted] = entries.entries().next().value!;
          entries.delete(oldest);
          evicted.dispose();
        }
      }
      entries.set(key, primitive);
      return primitive;
    },
    get size() {
      return entries.size;
    },
    get created() {
      return created;
    },
    implementations() {
      return new Map([...entries].map(([key, p]) => [key, p.impl]));
    },
    clear() {
      for (const p of entries.values()) p.dispose();
      entries.clear();
    },
  };
}
