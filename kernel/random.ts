/**
 * A seeded random number generator whose whole state is four numbers, so a training run can save it
 * in a checkpoint and resume with exactly the same crops, flips, data order and pool draws.
 * The algorithm is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit).
 *
 * @module
 */

/** A seeded, serialisable random source. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed any integer; the same seed gives the same sequence */
  constructor(seed = 0) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.#u32();
  }

  /** Restores a generator from `state()`. */
  static from(state: readonly number[]): Rng {
    if (state.length !== 4 || state.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffffffff)) {
      throw new RangeError(
        `Cannot restore Rng: state must be 4 uint32 values: current value is ${JSON.stringify(state)}`,
      );
    }
    const rng = new Rng(0);
    [rng.#a, rng.#b, rng.#c, rng.#d] = state;
    return rng;
  }

  #u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** The generator's state: four uint32 values, for checkpoints. */
  state(): number[] {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.#u32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A fresh integer seed for a library that takes one (e.g. `tf.randomNormal`). */
  seed(): number {
    return this.#u32() & 0x7fffffff;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/**
 * A seed for one item of a batch job, from the run's seed and the item's name (FNV-1a over both,
 * then a murmur3 finaliser), so an image's random draws are the same whichever process, shard or
 * position handles it. The one place per-image seeds come from.
 *
 * @param seed the run's seed (e.g. `--seed`)
 * @param name the item's name (e.g. the image's name)
 * @returns a seed in [0, 2³¹)
 */
export function seedFor(seed: number, name: string): number {
  let h = 0x811c9dc5;
  const mix = (unit: number) => void (h = Math.imul(h ^ unit, 0x01000193));
  for (const byte of [seed >>> 24, seed >>> 16, seed >>> 8, seed]) mix(byte & 0xff);
  for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x7fffffff;
}
