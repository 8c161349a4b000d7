/**
 * Gradients of a scalar loss with respect to a network's parameters, keyed by the official names
 * (tfjs names variables uniquely per module, so its own keys are not the state_dict names).
 *
 * @module
 */
import type { tf } from "../../backends/tf.ts";
import { variableGrads } from "../../backends/tape.ts";

/** A loss value and its gradients. */
export interface NamedGrads {
  /** The loss. */
  value: tf.Scalar;
  /** d loss / d parameter, by official name; parameters the loss does not depend on are absent. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Runs `loss` and differentiates it with respect to `params` only (other variables are constants).
 *
 * @param loss computes the scalar loss; tensors it creates are freed except the value
 * @param params the parameters, by official name (a network's `params()`, or several merged)
 * @returns the loss value and the gradients; the caller disposes them
 * @throws {Error} when the loss depends on none of the parameters
 */
export function namedGrads(loss: () => tf.Scalar, params: Map<string, tf.Variable>): NamedGrads {
  const { value, grads } = variableGrads(loss, [...params.values()]);
  const named = new Map<string, tf.Tensor>();
  for (const [name, v] of params) if (grads[v.name]) named.set(name, grads[v.name]);
  return { value, grads: named };
}
