/**
 * Large tensors of the wasm heap in an arena of their own. tfjs-backend-wasm's allocator (emscripten's)
 * interleaves the runtime's small allocations with freed tensors and splits large free blocks, so over
 * a few forward passes the heap grows far past what is live at once: 2.59 GiB for 1.84 GiB live with
 * the 1024p generator at 2048×1024. The heap never shrinks and its pages stay resident, so that growth
 * is the process's memory. Here blocks of {@link ARENA_MIN_BLOCK} or more come from one address range
 * reserved up front (untouched pages cost nothing) and are placed first-fit by address, with freed
 * neighbours merged: the heap's used extent stays at what is live at the peak. Smaller allocations,
 * and large ones the arena has no room for, go to the allocator as before.
 *
 * @module
 */

/** Requests of at least this many bytes are served by the arena. */
export const ARENA_MIN_BLOCK = 2 ** 20;
/** Bytes reserved: most of the 4 GiB the heap addresses, leaving room for the runtime's own allocations. */
export const ARENA_BYTES = 3.25 * 2 ** 30;
/** Alignment of every block (oneDNN's and XNNPACK's buffers want 64 bytes). */
const ALIGN = 64;

/** The emscripten module functions the arena takes over. */
export interface EmscriptenAllocator {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** First-fit, address-ordered allocation of `[start, end)` with merging of freed neighbours. */
export class HeapArena {
  /** First byte of the range. */
  readonly start: number;
  /** One past its last byte. */
  readonly end: number;
  /** Free runs `[start, end)`, sorted by address, never adjacent. */
  #free: [number, number][];
  readonly #used = new Map<number, number>();
  #extent: number;

  /**
   * @param start first byte (a multiple of 64)
   * @param end one past the last byte
   */
  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
    this.#free = [[start, end]];
    this.#extent = start;
  }

  /**
   * Takes a block.
   *
   * @param bytes its size
   * @returns its address, or null when no free run is large enough
   */
  alloc(bytes: number): number | null {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const i = this.#free.findIndex(([a, b]) => b - a >= size);
    if (i < 0) return null;
    const at = this.#free[i][0];
    if (this.#free[i][1] - at === size) this.#free.splice(i, 1);
    else this.#free[i][0] = at + size;
    this.#used.set(at, size);
    this.#extent = Math.max(this.#extent, at + size);
    return at;
  }

  /**
   * Gives a block back.
   *
   * @param at an address {@link alloc} returned
   * @returns false when `at` is not a block of this arena (nothing happens)
   */
  free(at: number): boolean {
    const size = this.#used.get(at);
    if (size === undefined) return false;
    this.#used.delete(at);
    let lo = 0, hi = this.#free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#free[mid][0] < at) lo = mid + 1;
      else hi = mid;
    }
    const before = this.#free[lo - 1], after = this.#free[lo];
    const joinsBefore = before !== undefined && before[1] === at;
    const joinsAfter = after !== undefined && after[0] === at + size;
    if (joinsBefore && joinsAfter) {
      before[1] = after[1];
      this.#free.splice(lo, 1);
    } else if (joinsBefore) before[1] = at + size;
    else if (joinsAfter) after[0] = at;
    else this.#free.splice(lo, 0, [at, at + size]);
    return true;
  }

  /**
   * Whether a block of `bytes` would fit now.
   *
   * @param bytes the size
   * @returns true when some free run is large enough
   */
  canFit(bytes: number): boolean {
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    return this.#free.some(([a, b]) => b - a >= size);
  }

  /** Bytes in blocks now. */
  get usedBytes(): number {
    let total = 0;
    for (const size of this.#used.values()) total += size;
    return total;
  }

  /** The highest address any block has reached, less {@link start}: the pages ever touched. */
  get extentBytes(): number {
    return this.#extent - this.start;
  }
}

const installed = new WeakMap<object, HeapArena>();

/**
 * Reserves the arena in a wasm backend's heap and routes its large allocations there (once per
 * backend; tensors made before keep their blocks and are freed as before).
 *
 * @param backend the wasm backend (`wasm` is its emscripten module)
 * @param bytes the range to reserve
 * @returns the arena, or null when the heap cannot reserve it
 */
export function installHeapArena(
  backend: { wasm: EmscriptenAllocator },
  bytes: number = ARENA_BYTES,
): HeapArena | null {
  const existing = installed.get(backend);
  if (existing) return existing;
  const module = backend.wasm;
  // emscripten's exports start as stubs that replace themselves on their first call: resolve them
  // before taking them over
  module._free(module._malloc(ALIGN));
  const malloc = module._malloc.bind(module), free = module._free.bind(module);
  const base = malloc(bytes + ALIGN) >>> 0;
  if (base === 0) return null;
  const start = Math.ceil(base / ALIGN) * ALIGN;
  const arena = new HeapArena(start, start + bytes);
  module._malloc = (n: number) => (n >= ARENA_MIN_BLOCK ? arena.alloc(n) : null) ?? malloc(n);
  module._free = (pointer: number) => {
    if (!arena.free(pointer >>> 0)) free(pointer);
  };
  installed.set(backend, arena);
  return arena;
}

/**
 * The arena of a backend, if one was installed.
 *
 * @param backend any backend
 * @returns the arena or null
 */
export function heapArenaOf(backend: object): HeapArena | null {
  return installed.get(backend) ?? null;
}
