/**
 * Filters in ONNX's layouts. TensorFlow.js keeps a convolution filter as `[kh, kw, Ci, Co]`; onnxruntime's
 * Conv takes `[Co, Ci, kh, kw]`, and a stride-1 input gradient runs as a Conv with the adjoint filter
 * `[Ci, Co, kh, kw]` flipped in both spatial axes. onnxruntime's own Transpose does such a permutation
 * element by element (60 ms for a 512×512×3×3 filter); these loops walk both sides in cache-sized
 * runs. A tensor's data never changes in TensorFlow.js (an Adam step gives the variable a new data
 * id), so the permuted copy is kept while its tensor lives: frozen weights (VGG's) and weights at
 * inference are permuted once, a training step's weights once per layout. The copy of a freed tensor
 * is reused for the next filter of its size (the next step's weights), so no step touches fresh memory;
 * past the byte budget the least recently used copies go.
 *
 * @module
 */

/** All kept copies of one layout together, in bytes, at most (the 1024p generator's weights: 730 MB). */
export const FILTER_LAYOUT_BUDGET_BYTES = 1024 * 2 ** 20;

/** Output channels permuted together: one cache line of the source row. */
const BLOCK = 16;

/**
 * Permutes a filter from `[kh, kw, Ci, Co]` to `[Co, Ci, kh, kw]`.
 *
 * @param source the filter in TensorFlow.js's layout
 * @param shape `[kh, kw, Ci, Co]`
 * @param target where to write (its length is the source's)
 * @returns `target`
 */
export function toOnnxFilter(
  source: Float32Array,
  shape: readonly number[],
  target: Float32Array,
): Float32Array {
  const [kh, kw, ci, co] = shape;
  const taps = kh * kw;
  const tapStride = ci * co;
  for (let o0 = 0; o0 < co; o0 += BLOCK) {
    const o1 = Math.min(co, o0 + BLOCK);
    for (let c = 0; c < ci; c++) {
      for (let tap = 0; tap < taps; tap++) {
        const from = tap * tapStride + c * co;
        for (let o = o0, at = (o0 * ci + c) * taps + tap; o < o1; o++, at += ci * taps) {
          target[at] = source[from + o];
        }
      }
    }
  }
  return target;
}

/**
 * Permutes a filter from `[kh, kw, Ci, Co]` to its adjoint's: `[Ci, Co, kh, kw]`, flipped in both
 * spatial axes. That is a transpose of `[taps, Ci·Co]` with the taps reversed: each output run of
 * `taps` values reads one value from each tap's row.
 *
 * @param source the filter in TensorFlow.js's layout
 * @param shape `[kh, kw, Ci, Co]`
 * @param target where to write (its length is the source's)
 * @returns `target`
 */
export function toAdjointOnnxFilter(
  source: Float32Array,
  shape: readonly number[],
  target: Float32Array,
): Float32Array {
  const [kh, kw, ci, co] = shape;
  const taps = kh * kw;
  const pairs = ci * co;
  for (let j = 0; j < pairs; j++) {
    const at = j * taps + taps - 1;
    for (let tap = 0; tap < taps; tap++) target[at - tap] = source[tap * pairs + j];
  }
  return target;
}

/** A permutation into a target of the source's length. */
export type FilterPermutation = (
  source: Float32Array,
  shape: readonly number[],
  target: Float32Array,
) => Float32Array;

/** Permuted filters (one permutation) kept by the filter tensor's data id. */
export class FilterLayouts {
  readonly #kept = new Map<object, Float32Array<ArrayBuffer>>();
  /** Copies whose tensors were freed, by length, for the next filters of that size. */
  readonly #spare = new Map<number, Float32Array<ArrayBuffer>[]>();
  readonly #permute: FilterPermutation;
  readonly #budget: number;
  #bytes = 0;

  /**
   * @param permute the permutation ({@link toOnnxFilter} or {@link toAdjointOnnxFilter})
   * @param budget bytes all copies (kept and spare) may take together
   */
  constructor(permute: FilterPermutation, budget = FILTER_LAYOUT_BUDGET_BYTES) {
    this.#permute = permute;
    this.#budget = budget;
  }

  /** Bytes held now, kept and spare. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The filter in this layout, permuted now or kept from an earlier call with the same tensor.
   *
   * @param id the filter tensor's data id
   * @param read the filter's data in TensorFlow.js's layout (called only when no copy is kept)
   * @param shape `[kh, kw, Ci, Co]`
   * @param alive whether a data id still has data (its copy becomes spare otherwise)
   * @returns the permuted filter
   */
  get(
    id: object,
    read: () => Float32Array,
    shape: readonly number[],
    alive: (id: object) => boolean,
  ): Float32Array<ArrayBuffer> {
    const kept = this.#kept.get(id);
    if (kept) {
      this.#kept.delete(id);
      this.#kept.set(id, kept);
      return kept;
    }
    for (const [other, copy] of this.#kept) {
      if (alive(other)) continue;
      this.#kept.delete(other);
      const spares = this.#spare.get(copy.length) ?? [];
      spares.push(copy);
      this.#spare.set(copy.length, spares);
    }
    const source = read();
    const target = this.#spare.get(source.length)?.pop() ?? this.#fresh(source.length);
    this.#permute(source, shape, target);
    if (target.byteLength <= this.#budget) this.#kept.set(id, target);
    else this.#bytes -= target.byteLength;
    return target;
  }

  /** Drops every copy. */
  clear(): void {
    this.#kept.clear();
    this.#spare.clear();
    this.#bytes = 0;
  }

  /** A new array, after freeing spare then least recently used copies until it fits the budget. */
  #fresh(length: number): Float32Array<ArrayBuffer> {
    const bytes = length * 4;
    for (const [size, spares] of this.#spare) {
      while (spares.length && this.#bytes + bytes > this.#budget) this.#bytes -= spares.pop()!.byteLength;
      if (!spares.length) this.#spare.delete(size);
    }
    for (const [other, copy] of this.#kept) {
      if (this.#bytes + bytes <= this.#budget) break;
      this.#kept.delete(other);
      this.#bytes -= copy.byteLength;
    }
    this.#bytes += bytes;
    return new Float32Array(length);
  }
}
