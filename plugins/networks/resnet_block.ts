/**
 * The official `ResnetBlock(dim, padding_type, norm_layer)`: x + conv_block(x), where conv_block is
 * [pad 1, Conv3×3, Norm, ReLU, pad 1, Conv3×3, Norm]; with `zero` padding the convolutions pad
 * themselves and the pad layers are absent, which shifts the official indices (`conv_block.0`/`.3`).
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { conv2d } from "./_layers/conv.ts";
import { type LayerSpec, relu, sequential } from "./_layers/layer.ts";
import { norm, type NormType } from "./_layers/norm.ts";
import { pad, type PaddingType } from "./_layers/pad.ts";

/**
 * A residual block with `dim` channels; parameters under `${name}.conv_block.*`.
 *
 * @param dim channels in and out
 * @param paddingType "reflect", "replicate" or "zero"
 * @param normType "instance" or "batch"
 * @returns the layer spec
 */
export function resnetBlock(dim: number, paddingType: PaddingType, normType: NormType): LayerSpec {
  const half = (): LayerSpec[] =>
    paddingType === "zero"
      ? [conv2d(dim, dim, 3, { padding: 1 }), norm(normType, dim)]
      : [pad(paddingType, 1), conv2d(dim, dim, 3), norm(normType, dim)];
  return (module, name) => {
    const block = sequential(module, `${name}.conv_block`, [...half(), relu(), ...half()]);
    return { apply: (x) => tf.tidy(() => tf.add(x, block.apply(x))) };
  };
}
