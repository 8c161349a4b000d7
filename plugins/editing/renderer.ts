/**
 * Synthesis of a scene, re-done only when needed. The generator is passed in as a function
 * `(input) => image`, so any generator (or a test double) fits. What is cached:
 *
 * - the label part of the generator input (one-hot + boundaries), per `geometryId`: style edits only
 *   repaint the feature channels;
 * - the last few images, per `stateId`: rendering an unchanged scene, or one that undo brought back to
 *   a rendered state, calls no generator;
 * - style previews, per state and instance.
 *
 * Previews are crop-aware: by default (`context: "crop"`) each style is synthesized on a window around
 * the instance only (its box, plus `margin`, plus `context_px` of context, rounded to `multiple`),
 * which costs a fraction of a full image. The generator's instance normalisation then sees the window's
 * statistics, not the whole image's, so a crop preview approximates the full render; `context: "full"`
 * synthesizes whole images and crops them (exact).
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { encodeInput } from "../data/transforms.ts";
import { type Pipeline, pipeline } from "../../kernel/pipeline.ts";
import { disposeAll } from "../../kernel/memory.ts";
import type { InstanceStyle } from "../features/feature_map.ts";
import { OptionsError } from "../../kernel/errors.ts";
import type { Scene } from "./scene.ts";
import { type Box, growBox } from "./geometry.ts";

/** A generator: input `[1, H, W, label_nc (+1 edge) (+feat_num)]` → image `[1, H, W, 3]` in [-1, 1]. */
export type Synthesize = (input: tf.Tensor4D) => tf.Tensor4D | Promise<tf.Tensor4D>;

/** How a renderer builds inputs and caches. */
export interface RendererOptions {
  /** Leave the boundary channel out (a model trained with `no_instance`). */
  no_instance?: boolean;
  /** Crop windows are multiples of this (2^n_downsample_global · 2^n_local_enhancers; default 16). */
  multiple?: number;
  /** Rendered images kept (default 4). */
  cache_size?: number;
}

/** How to preview an instance's styles. */
export interface PreviewOptions {
  /** Pixels around the instance's box shown in each crop (default 16). */
  margin?: number;
  /** "crop": synthesize a window around the instance (fast); "full": whole images (exact). */
  context?: "crop" | "full";
  /** With "crop": pixels of context synthesized beyond each crop (default 64). */
  context_px?: number;
}

/** Keeps the last `size` tensors by key, disposing evicted ones. */
class TensorCache {
  readonly #entries = new Map<string, tf.Tensor4D>();
  constructor(readonly size: number) {}
  get(key: string): tf.Tensor4D | undefined {
    const value = this.#entries.get(key);
    if (value) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: tf.Tensor4D): void {
    this.#entries.get(key)?.dispose();
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.size) {
      const [oldest, tensor] = this.#entries.entries().next().value!;
      tensor.dispose();
      this.#entries.delete(oldest);
    }
  }
  clear(): void {
    for (const tensor of this.#entries.values()) tensor.dispose();
    this.#entries.clear();
  }
}

/** Renders a scene through a generator function, with caches. */
export class SceneRenderer {
  /** The scene rendered (edit it directly; the renderer notices). */
  readonly scene: Scene;
  readonly #synthesize: Synthesize;
  /** The scene's label and instance maps → the label part of the input (`encode-input`), configured once. */
  readonly #encode: Pipeline;
  readonly #multiple: number;
  readonly #labelParts = new TensorCache(1);
  readonly #renders: TensorCache;
  readonly #previews = new TensorCache(4);
  #calls = 0;

  /**
   * @param scene the scene
   * @param synthesize the generator (its output is owned by the renderer; it must not dispose its input)
   * @param options boundary channel, crop multiple, cache size
   */
  constructor(scene: Scene, synthesize: Synthesize, options: RendererOptions = {}) {
    this.scene = scene;
    this.#synthesize = synthesize;
    this.#encode = pipeline().use(encodeInput, {
      label_nc: scene.label_nc,
      no_instance: options.no_instance ?? false,
      edge_source: "inst",
    });
    this.#multiple = options.multiple ?? 16;
    this.#renders = new TensorCache(options.cache_size ?? 4);
  }

  /** How many times the generator has run. */
  get calls(): number {
    return this.#calls;
  }

  /**
   * The generator input of the scene, or of the scene with other styles.
   *
   * @param styles styles to use instead of the scene's
   * @returns `[1, H, W, channels]` (the caller disposes it)
   * @throws {DataError} when the label map has ids outside 0…label_nc-1
   */
  async input(styles?: ReadonlyMap<number, InstanceStyle>): Promise<tf.Tensor4D> {
    const { scene } = this;
    return await this.#windowInput(styles, { x: 0, y: 0, width: scene.width, height: scene.height });
  }

  /**
   * The scene's image; the generator runs only when this state has not been rendered recently.
   *
   * @returns `[1, H, W, 3]` in [-1, 1] (the caller disposes it)
   * @throws {Error} when the generator's output does not have the input's height and width
   */
  async render(): Promise<tf.Tensor4D> {
    const key = String(this.scene.stateId);
    let image = this.#renders.get(key);
    if (!image) {
      const input = await this.input();
      try {
        image = await this.#run(input);
      } finally {
        input.dispose();
      }
      this.#renders.set(key, image);
    }
    return tf.clone(image);
  }

  /**
   * Every style of one instance side by side: for each cluster of its class, a crop around it
   * synthesized with that style (left to right: cluster 0, 1, …).
   *
   * @param id the instance
   * @param options margin around the instance, "crop" (window) or "full" synthesis, context pixels
   * @returns `[1, h, k·w, 3]` in [-1, 1] (the caller disposes it)
   * @throws {OptionsError} for an unknown instance, a scene without features, or a class without clusters
   */
  async previewStyles(id: number, options: PreviewOptions = {}): Promise<tf.Tensor4D> {
    const { scene } = this;
    const info = scene.instance(id);
    const centres = scene.clusters?.centres.get(info.classId);
    if (scene.feat_num === 0 || !centres) {
      const have = [...(scene.clusters?.centres.keys() ?? [])].join(", ") || "none";
      throw new OptionsError(
        "preview",
        "instance",
        `${id} (class ${
          info.className || info.classId
        }) has no styles to preview: its class has no clusters ` +
          `(classes with clusters: ${have})`,
      );
    }
    const margin = options.margin ?? 16,
      context = options.context ?? "crop",
      contextPx = options.context_px ?? 64;
    const key = `${scene.stateId}:${id}:${margin}:${context}:${contextPx}`;
    const cached = this.#previews.get(key);
    if (cached) return tf.clone(cached);
    const image = { width: scene.width, height: scene.height };
    const crop = growBox(info.box, margin, image);
    const window = context === "full"
      ? { x: 0, y: 0, ...image }
      : growBox(crop, contextPx, image, this.#multiple);
    const crops: tf.Tensor4D[] = [];
    try {
      for (let c = 0; c < centres.length; c++) {
        const styles = scene.styles;
        styles.set(id, { cluster: c, vector: [...centres[c]] });
        crops.push(await this.#synthesizeCrop(styles, window, crop));
      }
      const strip = tf.concat(crops, 2);
      this.#previews.set(key, strip);
      return tf.clone(strip);
    } finally {
      tf.dispose(crops);
    }
  }

  /** Frees every cached tensor. */
  dispose(): void {
    this.#labelParts.clear();
    this.#renders.clear();
    this.#previews.clear();
  }

  /** The one-hot and boundary channels of the whole scene, cached per geometry. */
  async #labelPart(): Promise<tf.Tensor4D> {
    const { scene } = this;
    const key = String(scene.geometryId);
    const cached = this.#labelParts.get(key);
    if (cached) return cached;
    const label = tf.tensor4d(scene.label, [1, scene.height, scene.width, 1], "int32");
    const inst = tf.tensor4d(scene.inst, [1, scene.height, scene.width, 1], "int32");
    const { input, ...rest } = await this.#encode.process({ name: "scene", label, inst });
    disposeAll(rest);
    const part = input as tf.Tensor4D;
    this.#labelParts.set(key, part);
    return part;
  }

  /** The generator input over a window of the scene, with the given styles (default: the scene's). */
  async #windowInput(
    styles: ReadonlyMap<number, InstanceStyle> | undefined,
    window: Box,
  ): Promise<tf.Tensor4D> {
    const { scene } = this;
    const labelPart = await this.#labelPart();
    return tf.tidy(() => {
      const part = tf.slice(labelPart, [0, window.y, window.x, 0], [1, window.height, window.width, -1]);
      if (scene.feat_num === 0) return part;
      const f = scene.feat_num, all = scene.featureData(styles);
      const values = new Float32Array(window.width * window.height * f);
      for (let y = 0; y < window.height; y++) {
        const from = ((window.y + y) * scene.width + window.x) * f;
        values.set(all.subarray(from, from + window.width * f), y * window.width * f);
      }
      return tf.concat([part, tf.tensor4d(values, [1, window.height, window.width, f])], 3);
    });
  }

  async #synthesizeCrop(styles: Map<number, InstanceStyle>, window: Box, crop: Box): Promise<tf.Tensor4D> {
    const windowInput = await this.#windowInput(styles, window);
    let out: tf.Tensor4D;
    try {
      out = await this.#run(windowInput);
    } finally {
      windowInput.dispose();
    }
    const result = tf.slice(out, [0, crop.y - window.y, crop.x - window.x, 0], [
      1,
      crop.height,
      crop.width,
      -1,
    ]);
    out.dispose();
    return result;
  }

  async #run(input: tf.Tensor4D): Promise<tf.Tensor4D> {
    this.#calls++;
    const out = await this.#synthesize(input);
    const [, h, w] = input.shape;
    if (out.rank !== 4 || out.shape[1] !== h || out.shape[2] !== w) {
      const shape = `[${out.shape.join(", ")}]`;
      out.dispose();
      throw new Error(
        `synthesize returned ${shape} for an input of ${w}×${h}: it must return [1, ${h}, ${w}, 3]`,
      );
    }
    return out;
  }
}
