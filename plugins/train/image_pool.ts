/**
 * The official image pool (util/image_pool.py): a buffer of past discriminator inputs. Once full,
 * each query returns, with probability ½, a stored input in place of the new one (which takes its
 * place). With size 0 (the pix2pixHD default) it returns its input unchanged. Draws come from the
 * run's seeded `Rng`, and the buffer is saved in checkpoints, so a resumed run draws the same.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import type { Rng } from "../../kernel/random.ts";

/** A buffer of past fake discriminator inputs. */
export class ImagePool {
  /** The most inputs kept. */
  readonly size: number;
  #rng: Rng;
  #images: tf.Tensor4D[] = [];

  /**
   * @param size the most inputs kept (0: no pool)
   * @param rng the run's random source
   */
  constructor(size: number, rng: Rng) {
    this.size = size;
    this.#rng = rng;
  }

  /**
   * Passes a batch through the pool.
   *
   * @param images a batch `[N, H, W, C]` (the pool keeps its own copies)
   * @returns the batch D sees: `images` itself when the pool is off, else a new tensor
   */
  query(images: tf.Tensor4D): tf.Tensor4D {
    if (this.size === 0) return images;
    const picked: tf.Tensor4D[] = [];
    const released: tf.Tensor4D[] = [];
    for (let i = 0; i < images.shape[0]; i++) {
      const image = tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]);
      if (this.#images.length < this.size) {
        this.#images.push(tf.keep(tf.clone(image)));
        picked.push(image);
      } else if (this.#rng.next() > 0.5) {
        const id = this.#rng.int(this.size);
        picked.push(this.#images[id]);
        released.push(this.#images[id]);
        this.#images[id] = tf.keep(tf.clone(image));
      } else {
        picked.push(image);
      }
    }
    const batch = tf.concat(picked, 0);
    for (const t of released) t.dispose();
    for (const t of picked) if (!released.includes(t)) t.dispose();
    return batch;
  }

  /** The stored inputs, oldest slot first (for checkpoints; the pool still owns them). */
  contents(): readonly tf.Tensor4D[] {
    return this.#images;
  }

  /**
   * Replaces the stored inputs (when resuming).
   *
   * @param images inputs `[1, H, W, C]` as `contents()` gave them; the pool takes ownership
   * @throws {RangeError} when there are more than `size`
   */
  restore(images: tf.Tensor4D[]): void {
    if (images.length > this.size) {
      throw new RangeError(
        `Cannot restore the image pool: it holds at most ${this.size} inputs: current value is ${images.length}`,
      );
    }
    this.dispose();
    this.#images = images.map((t) => tf.keep(t));
  }

  /** Frees the stored inputs. */
  dispose(): void {
    for (const t of this.#images) t.dispose();
    this.#images = [];
  }
}
