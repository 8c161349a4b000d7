/**
 * Gradients that free memory as the backward pass goes: the same contract as `tf.variableGrads`, but
 * each tape node's saved tensors and its outputs' gradients are disposed as soon as the backward pass
 * is past the node. TensorFlow.js keeps both until the whole backward pass ends, so its peak is every
 * activation plus the gradient of every activation; here it is the activations plus the gradients at
 * the frontier. On a pix2pixHD training step that is the difference between fitting in a 4 GiB wasm
 * heap and not.
 *
 * It drives TensorFlow.js's own tape (the engine's `startTape`/`endTape`, the registered gradient
 * functions); only the walk back is ours, a port of tfjs-core 4.22's `getFilteredNodesXToY` and
 * `backpropagateGradients` with the frees added.
 *
 * @module
 */
import { tf } from "./tf.ts";

/** A node of the engine's tape (tfjs-core `TapeNode`). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

/** The engine members this module drives (public at run time, not in tfjs's typings). */
interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

/** The nodes on a path from one of `xs` to `y`, with their inputs pruned to those that come from `xs`. */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      for (const output of node.outputs) fromX.add(output.id);
      nodesFromX.add(node.id);
    }
  }
  const leadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((output) => leadToY.has(output.id))) {
      for (const input of Object.values(node.inputs)) leadToY.add(input.id);
      nodesToY.add(node.id);
    }
  }
  return tape.filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id)).map((node) => ({
    ...node,
    inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))),
  }));
}

function disposeSaved(node: TapeNode, keep: Set<tf.Tensor>): void {
  for (const t of node.saved ?? []) if (!keep.has(t)) t.dispose();
}

/** Walks the path back from `y`, accumulating gradients and freeing what the rest of the walk cannot use. */
function backpropagate(path: TapeNode[], grads: Map<number, tf.Tensor>): void {
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    if (!node.gradient) {
      throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    }
    const inputGradients = node.gradient(node.outputs.map((o) => grads.get(o.id) ?? null));
    for (const [name, x] of Object.entries(node.inputs)) {
      if (!(name in inputGradients)) {
        throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
      }
      const dx = tf.tidy(() => inputGradients[name]());
      if (dx.dtype !== "float32" || dx.shape.join() !== x.shape.join()) {
        throw new Error(
          `Error in gradient for op ${node.kernelName}: the gradient of input ${name} is ${dx.dtype} ` +
            `[${dx.shape.join(", ")}], the input float32 [${x.shape.join(", ")}]`,
        );
      }
      const current = grads.get(x.id);
      if (current === undefined) grads.set(x.id, dx);
      else {
        grads.set(x.id, tf.add(current, dx));
        current.dispose();
        if (dx !== current) dx.dispose();
      }
    }
    // A gradient function may hand back one of its dys or saved tensors as an input's gradient.
    const live = new Set(
      Object.values(node.inputs).map((x) => grads.get(x.id)).filter((g) => g !== undefined),
    );
    for (const o of node.outputs) {
      const g = grads.get(o.id);
      grads.delete(o.id);
      if (g && !live.has(g)) g.dispose();
    }
    disposeSaved(node, live);
  }
}

/**
 * The gradients of a scalar function with respect to variables, freeing each activation and each
 * activation's gradient as soon as the backward pass no longer needs it.
 *
 * @param f the function; everything it computes from the variables is taped
 * @param vars the variables to differentiate by (the trainable ones get gradients)
 * @returns the value of `f` and a gradient per variable name (absent: `f` does not depend on it)
 * @throws {Error} when `f` does not return a scalar or no variable reaches it
 */
export function variableGrads(
  f: () => tf.Scalar,
  vars: tf.Variable[],
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const engine = tf.engine() as unknown as EngineInternals;
  // Inside another gradient computation (higher-order gradients) the tape must survive: tfjs's own.
  if (engine.state.gradientDepth > 0) return tf.variableGrads(f, vars);
  const xs = vars.filter((v) => v.trainable);
  if (xs.length === 0) throw new Error("variableGrads: none of the variables is trainable");
  let y: tf.Scalar | undefined;
  try {
    y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy("forward", f));
    if (!(y instanceof tf.Tensor) || y.rank !== 0) {
      throw new Error(
        `variableGrads: f must return a scalar tensor, got ${
          y instanceof tf.Tensor ? `rank ${y.rank}` : typeof y
        }`,
      );
    }
    const value = y;
    const tape = engine.state.activeTape ?? [];
    const path = nodesFromXsToY(tape, xs, value);
    const onPath = new Set(path.map((node) => node.id));
    for (const node of tape) if (!onPath.has(node.id)) disposeSaved(node, new Set());
    const names: string[] = [];
    const grads = engine.tidy("backward", () => {
      const accumulated = new Map<number, tf.Tensor>([[value.id, tf.onesLike(value)]]);
      backpropagate(path, accumulated);
      const reached = xs.filter((x) => accumulated.has(x.id));
      names.push(...reached.map((x) => x.name));
      return reached.map((x) => accumulated.get(x.id) as tf.Tensor);
    });
    if (grads.length === 0) {
      throw new Error(
        "Cannot find a connection between any variable and the result of the loss function y=f(x).",
      );
    }
    return { value, grads: Object.fromEntries(names.map((name, i) => [name, grads[i]])) };
  } catch (error) {
    y?.dispose();
    throw error;
  } finally {
    for (const node of engine.state.activeTape ?? []) disposeSaved(node, new Set());
    engine.state.activeTape = null;
  }
}
