/**
 * Input checks shared by the networks, so a wrong input is a one-line error naming the network and
 * the option involved instead of a shape error deep inside tfjs.
 *
 * @module
 */
import type { tf } from "../../../backends/tf.ts";

/**
 * Checks an NHWC batch's channel count and that its sides are multiples of `multiple`.
 *
 * @param network the network's name, for the message
 * @param x the input batch
 * @param channels channels the network was built for
 * @param channelsOption the option that sets them (`input_nc`)
 * @param multiple the sides must be multiples of this (2^downsamplings); 1 for any size
 * @throws {RangeError} naming the network, the expected and the given values
 */
export function checkInput(
  network: string,
  x: tf.Tensor,
  channels: number,
  channelsOption: string,
  multiple: number,
): void {
  if (x.rank !== 4) {
    throw new RangeError(`${network} expects an NHWC batch (rank 4), got shape [${x.shape.join(", ")}]`);
  }
  const [, h, w, c] = x.shape;
  if (c !== channels) {
    throw new RangeError(`${network} expects ${channels} input channels (${channelsOption}), got ${c}`);
  }
  if (h % multiple !== 0 || w % multiple !== 0) {
    throw new RangeError(
      `${network} needs width and height that are multiples of ${multiple} (2^downsamplings), got ${w}×${h}; ` +
        `resize or crop the input (resize_or_crop "none" rounds to it)`,
    );
  }
}
