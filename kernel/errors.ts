/**
 * Errors a user can act on. Every message says what was attempted, the constraint, and the current
 * value, and the CLI prints them as one line (no tfjs stack trace).
 *
 * @module
 */

/** A bad file or sample: carries the path so callers and `inspect` can report it. */
export class DataError extends Error {
  /** The file (or folder) at fault. */
  readonly file: string;
  /**
   * @param file the file or folder at fault
   * @param message what is wrong and how to fix it
   */
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "DataError";
    this.file = file;
  }
}

/** A bad option of a plugin, a stage or a command. */
export class OptionsError extends Error {
  /** The plugin (or command) whose option is wrong. */
  readonly plugin: string;
  /** The option's key, as the user spells it. */
  readonly key: string;
  /**
   * @param plugin plugin or command name
   * @param key option key
   * @param message the constraint and the current value
   */
  constructor(plugin: string, key: string, message: string) {
    super(`Cannot configure ${plugin}: "${key}" ${message}`);
    this.name = "OptionsError";
    this.plugin = plugin;
    this.key = key;
  }
}

/** A checkpoint that does not fit the network it is loaded into, or cannot be read. */
export class CheckpointError extends Error {
  /** The checkpoint file. */
  readonly file: string;
  /**
   * @param file the checkpoint path
   * @param message what does not match (naming both values)
   */
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "CheckpointError";
    this.file = file;
  }
}

/** A backend that cannot be loaded or used here. */
export class BackendError extends Error {
  /** The backend asked for. */
  readonly backend: string;
  /**
   * @param backend backend name
   * @param message why it cannot load and how to get it
   */
  constructor(backend: string, message: string) {
    super(`Cannot use backend "${backend}": ${message}`);
    this.name = "BackendError";
    this.backend = backend;
  }
}

/** A pipeline that is composed wrongly (unknown stage, missing input, frozen pipeline). */
export class PipelineError extends Error {
  /** @param message what is wrong and the fix */
  constructor(message: string) {
    super(message);
    this.name = "PipelineError";
  }
}

/** Errors of ours: their message alone is what a user needs to see. */
export function isUserError(error: unknown): error is Error {
  return error instanceof DataError || error instanceof OptionsError ||
    error instanceof CheckpointError || error instanceof BackendError || error instanceof PipelineError;
}
