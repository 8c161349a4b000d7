/**
 * The instance-boundary map, exactly as the official `get_edges`: a pixel is 1 when its right or left
 * neighbour, or the one below or above, has another id. Computed with tensor ops on the backend.
 *
 * @module
 */
import { type Tensor4D, tf } from "../../backends/tf.ts";

/**
 * Boundaries between regions of different ids.
 *
 * @param ids an id map [N, H, W, 1] (int32 instance ids, or class ids when there is no instance map)
 * @returns a float32 [N, H, W, 1] map of 0/1 (the caller owns it)
 * @throws {RangeError} when `ids` is not [N, H, W, 1]
 */
export function boundaryMap(ids: Tensor4D): Tensor4D {
  if (ids.rank !== 4 || ids.shape[3] !== 1) {
    throw new RangeError(
      `Cannot compute boundaries: ids must be [N, H, W, 1]: current shape is [${ids.shape}]`,
    );
  }
  const [n, h, w] = ids.shape;
  return tf.tidy(() => {
    let edge: Tensor4D = tf.zeros([n, h, w, 1]);
    if (w > 1) {
      const d = tf.cast(
        tf.notEqual(
          tf.slice(ids, [0, 0, 1, 0], [-1, -1, -1, -1]),
          tf.slice(ids, [0, 0, 0, 0], [-1, -1, w - 1, -1]),
        ),
        "float32",
      );
      edge = tf.maximum(
        edge,
        tf.maximum(tf.pad(d, [[0, 0], [0, 0], [1, 0], [0, 0]]), tf.pad(d, [[0, 0], [0, 0], [0, 1], [0, 0]])),
      );
    }
    if (h > 1) {
      const d = tf.cast(
        tf.notEqual(
          tf.slice(ids, [0, 1, 0, 0], [-1, -1, -1, -1]),
          tf.slice(ids, [0, 0, 0, 0], [-1, h - 1, -1, -1]),
        ),
        "float32",
      );
      edge = tf.maximum(
        edge,
        tf.maximum(tf.pad(d, [[0, 0], [1, 0], [0, 0], [0, 0]]), tf.pad(d, [[0, 0], [0, 1], [0, 0], [0, 0]])),
      );
    }
    return edge;
  });
}
