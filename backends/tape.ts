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

/**
 * Walks the path back from `y`, accumulating gradients and freeing what the rest of the walk cannot use.
 *
 * @param path the nodes from the variables to `y`
 * @param grads the gradients so far (`y`'s seeded), updated in place
 * @param lastUse whether this walk is the last one through a node (then its saved tensors are freed)
 */
function backpropagate(
  path: TapeNode[],
  grads: Map<number, tf.Tensor>,
  lastUse: (node: TapeNode) => boolean,
): void {
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
    if (lastUse(node)) disposeSaved(node, live);
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
  const { values, grads } = lossesGrads(() => [f()], [vars]);
  return { value: values[0], grads: grads[0] };
}

/**
 * The gradients of several scalars computed in one taped pass, each with respect to its own
 * variables: one forward pass serves several backward passes (the discriminator on the generated
 * image gives both the generator's loss and its own). The backward passes run in order; a node's
 * saved tensors are freed after the last pass that goes through it.
 *
 * @param f computes the scalars; everything it computes from the variables is taped
 * @param vars per scalar, the variables to differentiate it by (the trainable ones get gradients)
 * @returns the scalars and, per scalar, a gradient per variable name (absent: it does not depend on it)
 * @throws {Error} when `f` does not return one scalar per entry of `vars`, or no variable reaches one
 */
export function lossesGrads(
  f: () => tf.Scalar[],
  vars: tf.Variable[][],
): { values: tf.Scalar[]; grads: Record<string, tf.Tensor>[] } {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth > 0) {
    throw new Error("lossesGrads: not inside another gradient computation (use variableGrads there)");
  }
  const xss = vars.map((vs) => vs.filter((v) => v.trainable));
  if (xss.some((xs) => xs.length === 0)) {
    throw new Error("lossesGrads: none of the variables of a loss is trainable");
  }
  let ys: tf.Scalar[] = [];
  const done: Record<string, tf.Tensor>[] = [];
  try {
    ys = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy("forward", f));
    if (
      !Array.isArray(ys) || ys.length !== vars.length ||
      ys.some((y) => !(y instanceof tf.Tensor) || y.rank !== 0)
    ) {
      const got = Array.isArray(ys)
        ? ys.map((y) => y instanceof tf.Tensor ? `rank ${y.rank}` : typeof y).join(", ")
        : typeof ys;
      throw new Error(`lossesGrads: f must return ${vars.length} scalar tensor(s), got ${got}`);
    }
    const tape = engine.state.activeTape ?? [];
    const paths = ys.map((y, i) => nodesFromXsToY(tape, xss[i], y));
    const walksLeft = new Map<number, number>();
    for (const node of paths.flat()) walksLeft.set(node.id, (walksLeft.get(node.id) ?? 0) + 1);
    for (const node of tape) if (!walksLeft.has(node.id)) disposeSaved(node, new Set());
    const lastUse = (node: TapeNode) => {
      const left = walksLeft.get(node.id)! - 1;
      walksLeft.set(node.id, left);
      return left === 0;
    };
    ys.forEach((y, i) => {
      const names: string[] = [];
      const grads = engine.tidy("backward", () => {
        const accumulated = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
        backpropagate(paths[i], accumulated, lastUse);
        const reached = xss[i].filter((x) => accumulated.has(x.id));
        names.push(...reached.map((x) => x.name));
        return reached.map((x) => accumulated.get(x.id) as tf.Tensor);
      });
      if (grads.length === 0) {
        throw new Error(
          "Cannot find a connection between any variable and the result of the loss function y=f(x).",
        );
      }
      done.push(Object.fromEntries(names.map((name, j) => [name, grads[j]])));
    });
    return { values: ys, grads: done };
  } catch (error) {
    tf.dispose([...ys, ...done.flatMap((g) => Object.values(g))]);
    throw error;
  } finally {
    for (const node of engine.state.activeTape ?? []) disposeSaved(node, new Set());
    engine.state.activeTape = null;
  }
}
