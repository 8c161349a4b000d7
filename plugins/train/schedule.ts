/**
 * The official learning-rate schedule: `niter` epochs at `lr`, then `niter_decay` epochs that each end
 * with `lr -= lr / niter_decay` (train.py calls `update_learning_rate()` after every epoch > niter, for
 * both optimizers), so the last epoch runs at `lr / niter_decay` and the run ends at 0.
 *
 * @module
 */

/** The schedule's inputs (the official option names). */
export interface ScheduleOptions {
  /** Starting learning rate. */
  lr: number;
  /** Epochs at the starting rate. */
  niter: number;
  /** Epochs of linear decay. */
  niter_decay: number;
}

/**
 * The learning rate in force during an epoch, computed exactly as the official code does (repeated
 * float64 subtraction of `lr / niter_decay`, not a product, so values match bit for bit).
 *
 * @param opts lr, niter, niter_decay
 * @param epoch the 1-based epoch
 * @returns the learning rate both optimizers use during that epoch
 * @throws {RangeError} when epoch is not a positive integer
 */
export function learningRateAt(opts: ScheduleOptions, epoch: number): number {
  if (!Number.isInteger(epoch) || epoch < 1) {
    throw new RangeError(
      `Cannot compute the learning rate: epoch must be an integer ≥ 1: current value is ${epoch}`,
    );
  }
  const lrd = opts.lr / opts.niter_decay;
  let lr = opts.lr;
  for (let e = opts.niter + 1; e < epoch; e++) lr -= lrd;
  return lr;
}

/** The number of epochs of a run: niter + niter_decay. */
export function totalEpochs(opts: ScheduleOptions): number {
  return opts.niter + opts.niter_decay;
}
