/**
 * Gradients of a scalar loss with respect to a network's parameters, keyed by the official names
 * (tfjs names variables uniquely per module, so its own keys are not the state_dict names).
 *
 * @module
 */
import type { tf } from "../../backends/tf.ts";
import { lossesGrads, variableGrads } from "../../backends/tape.ts";

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
  return { value, grads: byOfficialName(grads, params) };
}

/**
 * Runs `losses` once and differentiates each of its scalars with respect to its own parameters:
 * one forward pass for several backward passes (in order; see `lossesGrads`).
 *
 * @param losses computes the scalar losses; tensors it creates are freed except the values
 * @param params per loss, the parameters, by official name
 * @returns per loss, its value and gradients; the caller disposes them
 * @throws {Error} when a loss depends on none of its parameters
 */
export function namedLossesGrads(
  losses: () => tf.Scalar[],
  params: Map<string, tf.Variable>[],
): NamedGrads[] {
  const { values, grads } = lossesGrads(losses, params.map((p) => [...p.values()]));
  return values.map((value, i) => ({ value, grads: byOfficialName(grads[i], params[i]) }));
}

/** Gradients keyed by tfjs variable name, re-keyed by the parameters' official names. */
function byOfficialName(grads: Record<string, tf.Tensor>, params: Map<string, tf.Variable>) {
  const named = new Map<string, tf.Tensor>();
  for (const [name, v] of params) if (grads[v.name]) named.set(name, grads[v.name]);
  return named;
}
