/**
 * Comparing images of the two inference runtimes in the tests.
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";

/**
 * The largest absolute difference between two tensors of one shape.
 *
 * @param a a tensor
 * @param b another, of a's shape
 * @returns max |a − b|
 */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const [value] = await d.data();
  d.dispose();
  return value;
}
