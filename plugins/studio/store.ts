/**
 * Autosave of the studio's scenes, one folder per browser session under the state folder:
 *
 * ```
 * <state>/sessions/<session id>/
 *   initial/            the scene as opened (label.png, inst.png, features.json): what reset returns to
 *   v<n>/               the scene after the latest edit
 *   current.json        { "version": n, "source": "…" }, replaced atomically after v<n> is complete
 * ```
 *
 * A crash while saving leaves `current.json` naming the previous complete version.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../formats/atomic.ts";
import type { Scene } from "../editing/scene.ts";
import { loadScene, type LoadSceneOptions, saveScene } from "../editing/scene_io.ts";

/** A session's saved scenes. */
export interface SavedSession {
  /** The scene after the latest edit. */
  current: Scene;
  /** The scene as opened. */
  initial: Scene;
  /** Where the scene came from (a dataset name or an upload's name). */
  source: string;
}

/** Session ids: letters, digits and dashes (a browser's `crypto.randomUUID()`). */
export const SESSION_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Saves and restores sessions' scenes in a state folder. */
export class SceneStore {
  readonly #root: string;
  readonly #versions = new Map<string, number>();

  /** @param stateDir the state folder (created when first written) */
  constructor(stateDir: string) {
    this.#root = join(stateDir, "sessions");
  }

  /**
   * The folder of a session's saves.
   *
   * @param sid the session id (checked against {@link SESSION_ID})
   * @returns the folder
   * @throws {RangeError} for an id that is not a session id
   */
  dir(sid: string): string {
    if (!SESSION_ID.test(sid)) throw new RangeError(`"${sid}" is not a session id`);
    return join(this.#root, sid);
  }

  /**
   * Saves a freshly opened scene: its initial state and its current state.
   *
   * @param sid the session
   * @param scene the scene as opened
   * @param source where it came from
   */
  async saveInitial(sid: string, scene: Scene, source: string): Promise<void> {
    await saveScene(scene, join(this.dir(sid), "initial"));
    await this.save(sid, scene, source);
  }

  /**
   * Saves a session's current scene as a new version, then points `current.json` at it.
   *
   * @param sid the session
   * @param scene its scene
   * @param source where it came from
   */
  async save(sid: string, scene: Scene, source: string): Promise<void> {
    const dir = this.dir(sid);
    const previous = this.#versions.get(sid) ?? (await this.#pointer(sid))?.version ?? 0;
    const version = previous + 1;
    this.#versions.set(sid, version);
    await saveScene(scene, join(dir, `v${version}`));
    await writeFileAtomic(
      join(dir, "current.json"),
      new TextEncoder().encode(JSON.stringify({ version, source }) + "\n"),
    );
    for (const entry of Deno.readDirSync(dir)) {
      const n = /^v(\d+)$/.exec(entry.name);
      if (n && Number(n[1]) < version) await Deno.remove(join(dir, entry.name), { recursive: true });
    }
  }

  /**
   * A session's saved scenes, or null when it has none.
   *
   * @param sid the session
   * @param options the model's clusters and class names, history length
   * @returns the current and initial scenes and their source, or null
   * @throws {DataError} when the saved files are unreadable
   */
  async load(sid: string, options: LoadSceneOptions): Promise<SavedSession | null> {
    const pointer = await this.#pointer(sid);
    if (!pointer) return null;
    this.#versions.set(sid, pointer.version);
    const dir = this.dir(sid);
    return {
      current: await loadScene(join(dir, `v${pointer.version}`), options),
      initial: await loadScene(join(dir, "initial"), options),
      source: pointer.source,
    };
  }

  /**
   * The folder holding a session's current scene files (for downloads), or null.
   *
   * @param sid the session
   * @returns the folder, or null when the session has no save
   */
  async currentDir(sid: string): Promise<string | null> {
    const pointer = await this.#pointer(sid);
    return pointer ? join(this.dir(sid), `v${pointer.version}`) : null;
  }

  async #pointer(sid: string): Promise<{ version: number; source: string } | null> {
    try {
      const doc = JSON.parse(await Deno.readTextFile(join(this.dir(sid), "current.json")));
      return Number.isInteger(doc.version)
        ? { version: doc.version, source: String(doc.source ?? "") }
        : null;
    } catch {
      return null;
    }
  }
}
