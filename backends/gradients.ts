/**
 * Gradients we register over tfjs's own where tfjs's are wrong or slow. tfjs-core 4.22's `MirrorPad` gradient
 * only slices the centre out of `dy`, dropping everything that flowed into the mirrored borders, so a
 * network with reflection padding (all of pix2pixHD's generators) trains on wrong gradients. Ours folds
 * the border gradients back onto the pixels they copy, axis by axis.
 *
 * Also the gradients of `Relu`, `LeakyRelu` and `Abs` (the L1 losses), the same values as tfjs's,
 * through one kernel ({@link LEAKY_RELU_GRAD}) where a backend registers a fast one, and the gradient of
 * `Mean` without tfjs's JavaScript array of ones: `dy / n` times ones the backend fills, where tfjs fills a
 * full-size array in JavaScript, uploads it, multiplies by it and divides — the same values, ~14× faster
 * on the wasm backend. And `Concat`'s, which slices each input's part of the gradient only when the
 * backward pass asks for it (tfjs splits them all).
 *
 * @module
 */
import { tf } from "./tfjs.ts";

function foldAxis(
  dy: tf.Tensor,
  axis: number,
  before: number,
  after: number,
  n: number,
  reflect: boolean,
): tf.Tensor {
  const rank = dy.shape.length;
  const sliceAlong = (start: number, size: number) => {
    const begin = new Array(rank).fill(0);
    const sizes = [...dy.shape];
    begin[axis] = start;
    sizes[axis] = size;
    return tf.slice(dy, begin, sizes);
  };
  const padAlong = (t: tf.Tensor, lo: number, hi: number) => {
    const pads = new Array(rank).fill(0).map(() => [0, 0] as [number, number]);
    pads[axis] = [lo, hi];
    return tf.pad(t, pads);
  };
  let grad = sliceAlong(before, n);
  const offset = reflect ? 1 : 0;
  if (before > 0) {
    const left = tf.reverse(sliceAlong(0, before), axis);
    grad = tf.add(grad, padAlong(left, offset, n - before - offset));
  }
  if (after > 0) {
    const right = tf.reverse(sliceAlong(before + n, after), axis);
    grad = tf.add(grad, padAlong(right, n - after - offset, offset));
  }
  return grad;
}

/**
 * The correct gradient of `mirrorPad` (reflect and symmetric modes).
 *
 * @param dy the gradient of the padded output
 * @param xShape the unpadded input's shape
 * @param paddings `[before, after]` per axis
 * @param mode "reflect" or "symmetric"
 * @returns the gradient of the input
 */
export function mirrorPadGradient(
  dy: tf.Tensor,
  xShape: readonly number[],
  paddings: readonly (readonly [number, number])[],
  mode: "reflect" | "symmetric",
): tf.Tensor {
  return tf.tidy(() => {
    let grad = dy;
    paddings.forEach(([before, after], axis) => {
      if (before || after) grad = foldAxis(grad, axis, before, after, xShape[axis], mode === "reflect");
    });
    return grad === dy ? tf.clone(dy) : grad;
  });
}

/**
 * Our kernel for `MirrorPad`'s gradient of a float32 NHWC tensor padded along height and width only:
 * input `dy`, attributes `paddings` and `mode`. Registered where a backend has a fast one (the wasm
 * backend); elsewhere {@link mirrorPadGradient} folds the borders with TensorFlow.js's ops.
 */
export const MIRROR_PAD_GRAD = "MirrorPadGrad";

tf.registerGradient({
  kernelName: "MirrorPad",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0];
    const { paddings, mode } = attrs as unknown as {
      paddings: [number, number][];
      mode: "reflect" | "symmetric";
    };
    const pixelsOnly = x.rank === 4 && paddings[0].every((p) => p === 0) && paddings[3].every((p) => p === 0);
    if (pixelsOnly && x.dtype === "float32" && tf.getKernel(MIRROR_PAD_GRAD, tf.getBackend())) {
      return {
        x: () =>
          tf.engine().runKernel(MIRROR_PAD_GRAD, { dy: dy as tf.Tensor }, { paddings, mode }) as tf.Tensor,
      };
    }
    return { x: () => mirrorPadGradient(dy as tf.Tensor, x.shape, paddings, mode) };
  },
});

/**
 * Our kernel for the gradient of (leaky) ReLU: inputs `dy`, `x`, attribute `alpha`; gives
 * `x > 0 ? dy : alpha·dy`. Registered where a backend has a fast one (oneDNN); elsewhere the gradients
 * below compute it with TensorFlow.js's ops, as tfjs does.
 */
export const LEAKY_RELU_GRAD = "LeakyReluGrad";

/**
 * The (leaky) ReLU gradient, `x > 0 ? dy : alpha·dy`, through {@link LEAKY_RELU_GRAD} where the backend
 * has it. `x` may be the activation's input or its output (their signs agree where it matters).
 *
 * @param dy the gradient of the activation's output
 * @param x the activation's input (or, for ReLU, its output)
 * @param alpha the slope below zero (0: ReLU)
 * @returns the gradient of the activation's input
 */
export function leakyReluGradient(dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  if (tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()) && x.dtype === "float32") {
    return tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha }) as tf.Tensor;
  }
  return alpha === 0
    ? tf.mul(dy, tf.step(tf.cast(x, "float32")))
    : tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha));
}

tf.registerGradient({
  kernelName: "LeakyRelu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const { alpha } = attrs as unknown as { alpha: number };
    return { x: () => leakyReluGradient(dy as tf.Tensor, saved[0], alpha) };
  },
});

tf.registerGradient({
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => ({ x: () => leakyReluGradient(dy as tf.Tensor, saved[0], 0) }),
});

tf.registerGradient({
  kernelName: "Abs",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const x = saved[0];
    // tfjs: dy · step(x, -1), i.e. x > 0 ? dy : -dy, which is the leaky ReLU gradient with alpha -1.
    if (tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()) && x.dtype === "float32") {
      return {
        x: () =>
          tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: dy as tf.Tensor, x }, { alpha: -1 }) as tf.Tensor,
      };
    }
    return { x: () => tf.mul(dy as tf.Tensor, tf.step(tf.cast(x, "float32"), -1)) };
  },
});

tf.registerGradient({
  kernelName: "Mean",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0];
    const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
    const [, reduceShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const expandedShape = x.shape.map((n, axis) => (axes.includes(axis) ? 1 : n));
    // tfjs: (dy · ones(x.shape)) / n, its ones a JavaScript array as large as x, filled and uploaded.
    // Multiplying by one is exact, so dividing first and multiplying by ones the backend fills gives the
    // same values (broadcastTo would too, but tfjs-wasm's Tile is ~100× slower than a multiply).
    return {
      x: () => {
        const perElement = tf.div(
          tf.reshape(dy as tf.Tensor, expandedShape),
          tf.util.sizeFromShape(reduceShape),
        );
        return tf.mul(perElement, tf.fill(x.shape, 1));
      },
    };
  },
});

tf.registerGradient({
  kernelName: "Concat",
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    // tfjs splits dy into every input's part; here each part is sliced only when asked for (the label
    // map's part of a discriminator input's gradient is not).
    const axis = tf.util.parseAxisParam((attrs as unknown as { axis: number }).axis, saved[0].shape)[0];
    const gradients: Record<string, () => tf.Tensor> = {};
    let offset = 0;
    saved.forEach((input, i) => {
      const begin = input.shape.map((_, d) => (d === axis ? offset : 0));
      offset += input.shape[axis];
      gradients[i] = () => tf.slice(dy as tf.Tensor, begin, input.shape);
    });
    return gradients;
  },
});
