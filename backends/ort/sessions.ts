/**
 * One onnxruntime session per convolution pass, geometry, bias and activation, made on first use and
 * kept (a pix2pixHD training step at 1024p uses about 150); past the capacity the least recently used
 * is freed.
 *
 * @module
 */
import type { OrtC, OrtCSession } from "./capi.ts";
import {
  type ConvGeometry,
  type ConvPass,
  convPassModel,
  type ForwardExtras,
  PASS_OUTPUT,
  passInputs,
  passShapes,
} from "./conv_graphs.ts";

/** Sessions kept at most. */
export const SESSION_CAPACITY = 512;

/** The sessions of one onnxruntime. */
export class ConvSessions {
  readonly #ort: OrtC;
  readonly #capacity: number;
  readonly #kept = new Map<string, OrtCSession>();
  /** Sessions made so far. */
  created = 0;

  /**
   * @param ort onnxruntime's C API
   * @param capacity sessions kept at most
   */
  constructor(ort: OrtC, capacity = SESSION_CAPACITY) {
    this.#ort = ort;
    this.#capacity = capacity;
  }

  /** Sessions kept now. */
  get size(): number {
    return this.#kept.size;
  }

  /**
   * The session of a pass, made now or kept from before. It takes its inputs' pointers in
   * {@link passInputs} order.
   *
   * @param pass the pass
   * @param g the geometry
   * @param extras the forward pass's bias and activation
   * @returns the session
   */
  get(pass: ConvPass, g: ConvGeometry, extras?: ForwardExtras): OrtCSession {
    const key = JSON.stringify([pass, g, pass === "forward" ? extras : null]);
    const kept = this.#kept.get(key);
    if (kept) {
      this.#kept.delete(key);
      this.#kept.set(key, kept);
      return kept;
    }
    const shapes = passShapes(pass, g, extras?.bias);
    const output = PASS_OUTPUT[pass];
    const session = this.#ort.session(
      convPassModel(pass, g, extras),
      passInputs(pass, extras?.bias).map((name) => ({ name, shape: shapes[name] })),
      [{ name: output, shape: shapes[output] }],
    );
    this.created++;
    if (this.#kept.size >= this.#capacity) {
      const [oldest, old] = this.#kept.entries().next().value!;
      this.#kept.delete(oldest);
      old.release();
    }
    this.#kept.set(key, session);
    return session;
  }

  /** Frees every session. */
  clear(): void {
    for (const session of this.#kept.values()) session.release();
    this.#kept.clear();
  }
}
