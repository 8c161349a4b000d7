/**
 * The building blocks of the networks, shaped like PyTorch's `nn.Sequential`: a layer spec is given a
 * module and its official name (`model.4`, `scale0_layer1.0`) and registers its parameters under it,
 * so the state_dict names follow the official module indices with no hand-written tables.
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";
import type { Module } from "../_module.ts";

/** A built layer: a function of an NHWC batch. */
export interface Layer {
  /** Runs the layer on `x` (NHWC). */
  apply(x: tf.Tensor4D): tf.Tensor4D;
}

/** A layer to build: registers its parameters in `module` as `${name}.weight`, `${name}.bias`, … */
export type LayerSpec = (module: Module, name: string) => Layer;

/**
 * Builds specs as one `nn.Sequential`: spec i is named `${prefix}.${i}`.
 *
 * @param module where parameters are registered
 * @param prefix the Sequential's own name (`model`, `model1_2`, `scale0_layer1`)
 * @param specs the layers, in the official order (parameter-free layers count as indices too)
 * @returns a layer applying them in order
 */
export function sequential(module: Module, prefix: string, specs: readonly LayerSpec[]): Layer {
  const layers = specs.map((spec, i) => spec(module, `${prefix}.${i}`));
  return {
    apply(x) {
      // each intermediate is freed as soon as the next exists: inference peaks at two activations
      // (gradient recording keeps its own copies of what the backward pass needs)
      let y = x;
      for (const layer of layers) {
        const next = tf.tidy(() => layer.apply(y));
        if (y !== x) y.dispose();
        y = next;
      }
      return y === x ? tf.clone(x) : y;
    },
  };
}

/**
 * `nn.ReLU`.
 *
 * @returns the layer spec
 */
export function relu(): LayerSpec {
  return () => ({ apply: (x) => tf.relu(x) });
}

/**
 * `nn.LeakyReLU(slope)`.
 *
 * @param slope the negative slope (0.2 in pix2pixHD)
 * @returns the layer spec
 */
export function leakyRelu(slope: number): LayerSpec {
  return () => ({ apply: (x) => tf.leakyRelu(x, slope) });
}

/**
 * `nn.Tanh`.
 *
 * @returns the layer spec
 */
export function tanh(): LayerSpec {
  return () => ({ apply: (x) => tf.tanh(x) });
}

/**
 * `nn.Sigmoid`.
 *
 * @returns the layer spec
 */
export function sigmoid(): LayerSpec {
  return () => ({ apply: (x) => tf.sigmoid(x) });
}
