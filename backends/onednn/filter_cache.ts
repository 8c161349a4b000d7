/**
 * Reordered filters kept between calls. oneDNN's fastest convolution kernels want the filter in a
 * blocked layout, so each call reorders it (0.5 ms for a 512×512×3×3 filter). A tensor's data never
 * changes in TensorFlow.js (a `Variable.assign`, Adam's update among them, gives the variable a new
 * data id), so a filter that comes back — the VGG loss's frozen weights, the discriminator's weights
 * over the three passes of a training step, any weights at inference — can reuse its reordered copy.
 *
 * A filter gets a copy on its second call only: the generator's weights, new after every Adam step
 * and used once per pass, never take memory. A copy is reused for another filter once the tensor it
 * was made from is freed; past the byte budget the least recently used copy is overwritten.
 *
 * @module
 */

/** Filters larger than this (bytes, in oneDNN's layout) are reordered on every call, never kept. */
export const FILTER_CACHE_MAX_FILTER_BYTES = 16 * 2 ** 20;
/** All kept copies together, in bytes, at most. */
export const FILTER_CACHE_BUDGET_BYTES = 256 * 2 ** 20;
/** Filters seen once that each cache remembers (by weak reference), waiting for their second call. */
const REMEMBERED_FILTERS = 64;
/** oneDNN's preferred alignment of a buffer. */
const ALIGN = 64;

let keptBytes = 0;

/**
 * Bytes held by all kept filter copies now.
 *
 * @returns the total
 */
export function filterCacheBytes(): number {
  return keptBytes;
}

/** The filter tensor of a call: its data id, and whether a data id still has data. */
export interface FilterIdentity {
  /** TensorFlow.js's data id of the filter. */
  readonly id: object;
  /**
   * Whether a tensor's data is still alive (not freed).
   *
   * @param id a data id
   */
  alive(id: object): boolean;
}

/** Where a call's reordered filter goes. */
export interface FilterPlace {
  /** Pointer to the kept copy. */
  readonly pointer: Deno.PointerObject;
  /** Whether the filter must be reordered into it first (false: it already holds this filter). */
  readonly reorder: boolean;
}

interface Copy {
  /** Keeps the buffer alive; `pointer` points into it, aligned. */
  readonly buffer: Uint8Array;
  readonly pointer: Deno.PointerObject;
  filter: WeakRef<object> | null;
}

/** The kept copies of one convolution variant's reordered filter (one layout and size). */
export class FilterCache {
  readonly #bytes: number;
  /** Most recently used first. */
  #copies: Copy[] = [];
  #seen: WeakRef<object>[] = [];

  /** @param bytes size of the filter in the variant's layout */
  constructor(bytes: number) {
    this.#bytes = bytes;
  }

  /**
   * Where to reorder (or find) this call's filter: a kept copy, or null for the call's workspace.
   *
   * @param filter the call's filter
   * @returns the copy, and whether to reorder into it; null: reorder into the workspace as usual
   */
  place(filter: FilterIdentity): FilterPlace | null {
    const hit = this.#copies.findIndex((c) => c.filter?.deref() === filter.id);
    if (hit >= 0) return this.#use(hit, filter.id, false);
    const seenAt = this.#seen.findIndex((r) => r.deref() === filter.id);
    if (seenAt < 0) {
      this.#seen.push(new WeakRef(filter.id));
      if (this.#seen.length > REMEMBERED_FILTERS) this.#seen.shift();
      return null;
    }
    this.#seen.splice(seenAt, 1);
    const stale = this.#copies.findIndex((c) => {
      const id = c.filter?.deref();
      return id === undefined || !filter.alive(id);
    });
    if (stale >= 0) return this.#use(stale, filter.id, true);
    if (
      this.#bytes <= FILTER_CACHE_MAX_FILTER_BYTES && keptBytes + this.#bytes <= FILTER_CACHE_BUDGET_BYTES
    ) {
      const buffer = new Uint8Array(this.#bytes + ALIGN);
      const base = Deno.UnsafePointer.of(buffer) as Deno.PointerObject;
      const pad = (ALIGN - Number(Deno.UnsafePointer.value(base) % BigInt(ALIGN))) % ALIGN;
      keptBytes += this.#bytes;
      const pointer = Deno.UnsafePointer.offset(base, pad) as Deno.PointerObject;
      this.#copies.unshift({ buffer, pointer, filter: null });
      return this.#use(0, filter.id, true);
    }
    return this.#copies.length > 0 ? this.#use(this.#copies.length - 1, filter.id, true) : null;
  }

  #use(index: number, id: object, reorder: boolean): FilterPlace {
    const [copy] = this.#copies.splice(index, 1);
    copy.filter = reorder ? null : new WeakRef(id); // a copy being refilled holds nothing until `filled`
    this.#copies.unshift(copy);
    return { pointer: copy.pointer, reorder };
  }

  /**
   * Records that a copy `place` returned with `reorder` now holds the filter (call once the reorder
   * succeeded).
   *
   * @param place what `place` returned
   * @param filter the call's filter
   */
  filled(place: FilterPlace, filter: FilterIdentity): void {
    const copy = this.#copies.find((c) => c.pointer === place.pointer);
    if (copy) copy.filter = new WeakRef(filter.id);
  }

  /** Drops the kept copies (their memory is garbage-collected) and returns their bytes to the budget. */
  dispose(): void {
    keptBytes -= this.#copies.length * this.#bytes;
    this.#copies = [];
    this.#seen = [];
  }
}
