/**
 * The studio's HTTP side: a request handler for `Deno.serve` that serves the page's own files and a
 * small JSON/PNG API over per-tab {@link StudioSession}s. Every request that touches a scene or the
 * model goes through one queue, so edits and renders never interleave; a render asked for a state that
 * newer edits have replaced is answered 409 without running the model (the page drops it).
 *
 * Safety: only the app files (read at start) and the API are served; any path with `..`, `%2e`,
 * `%2f`, `%5c` or a backslash is 404; request bodies are capped (413 with the limit); malformed
 * requests get a 400 with a message, a scene-changing request from another site's page (its `Origin`)
 * a 403, and the handler never throws.
 *
 * API (every scene request carries `?sid=<session id>`, one per browser tab):
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /api/info` | classes (names, colours), styles per class, dataset scenes, limits |
 * | `GET /api/state` | the session's {@link SessionState} (opens the default scene for a new session) |
 * | `GET /api/maps` | label then instance ids, 16-bit little-endian |
 * | `GET /api/instance?id=I` | instance I: class, pixel count, box, style cluster |
 * | `POST /api/edit` | one operation (JSON, see session.ts) → state and the instance to select |
 * | `GET /api/render?state=N` | the synthesized PNG of state N, or 409 when the scene has moved on; with `&preview=1` a quick one at the preview width |
 * | `GET /api/styles?id=I&state=N` | instance I under each of its class's clusters, as one PNG strip |
 * | `POST /api/open` | JSON `{ "dataset": name }`, or a form with `label` (+ `inst`) PNGs or a scene zip |
 * | `GET /api/scene.zip`, `GET /api/image.png` | downloads: the scene folder, the synthesized image |
 *
 * @module
 */
import { join } from "node:path";
import { zipSync } from "fflate";
import { isUserError } from "../../kernel/errors.ts";
import type { Palette } from "../data/palette.ts";
import type { TrainedModel } from "../features/trained_model.ts";
import type { Scene } from "../editing/scene.ts";
import {
  type DatasetEntry,
  sceneFromFiles,
  sceneFromImages,
  sceneFromZip,
  type SceneModel,
  uploadKind,
} from "./scene_source.ts";
import { cloneScene, RequestError, StudioSession } from "./session.ts";
import { SceneStore, SESSION_ID } from "./store.ts";

/** What a studio serves. */
export interface StudioOptions {
  /** The model every session renders with. */
  model: TrainedModel;
  /** Its folder, shown on the page. */
  modelName: string;
  /** Class names and colours. */
  palette: Palette;
  /** Classes, features, clusters and the working width of scenes. */
  sceneModel: SceneModel;
  /** The scene a new session opens. */
  defaultScene: { label: string; inst: string | null; name: string };
  /** Scenes offered in the page's list. */
  dataset: DatasetEntry[];
  /** Where sessions autosave. */
  stateDir: string;
  /** Largest request body accepted, in bytes. */
  maxUploadBytes: number;
  /** Sessions kept in memory (the others are reloaded from their autosave; default 8). */
  maxSessions?: number;
}

/** The page's files, by URL path. */
const APP_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app/studio.js": { file: "studio.js", type: "text/javascript; charset=utf-8" },
  "/app/studio.css": { file: "studio.css", type: "text/css; charset=utf-8" },
};

const UNSAFE_PATH = /\.\.|%2e|%2f|%5c|\\/i;

class TooLarge extends Error {}

const json = (data: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(data), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
const message = (status: number, text: string) => json({ error: text }, status);
/** Bytes as a response body. */
const bytes = (data: Uint8Array) => data as Uint8Array<ArrayBuffer>;
const notFound = () =>
  new Response("not found\n", { status: 404, headers: { "content-type": "text/plain" } });

/** The studio's request handler and its sessions. */
export class Studio {
  readonly #o: StudioOptions;
  readonly #store: SceneStore;
  readonly #files = new Map<string, Uint8Array>();
  readonly #sessions = new Map<string, StudioSession>();
  #queue: Promise<unknown> = Promise.resolve();
  /** Per session: the autosave being written, and the newest snapshot waiting for it. */
  readonly #saves = new Map<string, { done: Promise<void>; next: { scene: Scene; source: string } | null }>();

  /** @param options model, palette, scenes, state folder, limits */
  constructor(options: StudioOptions) {
    this.#o = options;
    this.#store = new SceneStore(options.stateDir);
    for (const [path, { file }] of Object.entries(APP_FILES)) {
      this.#files.set(path, Deno.readFileSync(new URL(`./app/${file}`, import.meta.url)));
    }
  }

  /**
   * Answers one request; never throws.
   *
   * @param request the request
   * @returns the response
   */
  handle = async (request: Request): Promise<Response> => {
    try {
      const url = new URL(request.url);
      if (UNSAFE_PATH.test(url.pathname) || UNSAFE_PATH.test(request.url.replace(/\?.*$/, ""))) {
        return notFound();
      }
      if (url.pathname.startsWith("/api/")) return await this.#api(request, url);
      const app = APP_FILES[url.pathname];
      if (!app || request.method !== "GET") return notFound();
      return new Response(bytes(this.#files.get(url.pathname)!), {
        headers: {
          "content-type": app.type,
          "cache-control": "no-cache",
          "x-content-type-options": "nosniff",
          "content-security-policy": "default-src 'self'; img-src 'self' blob: data:",
        },
      });
    } catch (error) {
      if (error instanceof TooLarge) return message(413, error.message);
      if (error instanceof RequestError || isUserError(error) || error instanceof RangeError) {
        return message(400, error.message);
      }
      console.error(error);
      return message(500, `internal error: ${(error as Error).message}`);
    }
  };

  /**
   * Waits for every autosave under way (call before stopping the server).
   *
   * @returns when all are on disk
   */
  async flush(): Promise<void> {
    await Promise.all([...this.#saves.values()].map((s) => s.done));
  }

  /** Frees every session's cached tensors (the model is the caller's). */
  dispose(): void {
    for (const session of this.#sessions.values()) session.dispose();
    this.#sessions.clear();
  }

  async #api(request: Request, url: URL): Promise<Response> {
    const route = `${request.method} ${url.pathname}`;
    const origin = request.headers.get("origin");
    if (request.method !== "GET" && origin !== null && origin !== url.origin) {
      return message(403, `requests from another site (${origin}) may not change scenes`);
    }
    if (route === "GET /api/info") return json(this.#info());
    const sid = url.searchParams.get("sid") ?? "";
    if (!SESSION_ID.test(sid)) return message(400, `missing or malformed session id "sid"`);
    switch (route) {
      case "GET /api/state":
        return json(await this.#work(async () => (await this.#session(sid)).state()));
      case "GET /api/maps": {
        const maps = await this.#work(async () => (await this.#session(sid)).maps());
        return new Response(bytes(new Uint8Array(maps.buffer)), {
          headers: { "content-type": "application/octet-stream", "cache-control": "no-store" },
        });
      }
      case "POST /api/edit": {
        const body = await this.#readJson(request);
        return json(
          await this.#work(async () => {
            const session = await this.#session(sid);
            const selected = session.apply(body);
            this.#autosave(sid, session);
            return { ...session.state(), selected };
          }),
        );
      }
      case "GET /api/render":
      case "GET /api/image.png": {
        const state = url.searchParams.get("state");
        const preview = route === "GET /api/render" && url.searchParams.get("preview") === "1";
        const result = await this.#work(async () => {
          const session = await this.#session(sid);
          if (state !== null && String(session.scene.stateId) !== state) return null;
          const started = performance.now();
          const png = preview ? await session.previewPng() : await session.png();
          return { png, ms: performance.now() - started, stateId: session.scene.stateId };
        });
        if (!result) return message(409, `state ${state} is no longer current: a newer edit replaced it`);
        const download: Record<string, string> = route === "GET /api/image.png"
          ? { "content-disposition": `attachment; filename="studio.png"` }
          : {};
        return new Response(bytes(result.png), {
          headers: {
            "content-type": "image/png",
            "cache-control": "no-store",
            "x-state-id": String(result.stateId),
            "x-render-ms": result.ms.toFixed(1),
            ...download,
          },
        });
      }
      case "GET /api/instance": {
        const id = Number(url.searchParams.get("id"));
        return json(
          await this.#work(async () => {
            const { style, ...rest } = (await this.#session(sid)).scene.instance(id);
            return { ...rest, cluster: style?.cluster ?? null };
          }),
        );
      }
      case "GET /api/styles": {
        const id = Number(url.searchParams.get("id"));
        const state = url.searchParams.get("state");
        const result = await this.#work(async () => {
          const session = await this.#session(sid);
          if (state !== null && String(session.scene.stateId) !== state) return null;
          return await session.stylePreviews(id);
        });
        if (!result) return message(409, `state ${state} is no longer current`);
        return new Response(bytes(result.png), {
          headers: {
            "content-type": "image/png",
            "cache-control": "no-store",
            "x-style-count": String(result.count),
          },
        });
      }
      case "POST /api/open":
        return json(await this.#open(request, sid));
      case "GET /api/scene.zip": {
        const zip = await this.#work(async () => {
          await this.#session(sid);
          await this.#saves.get(sid)?.done;
          const dir = (await this.#store.currentDir(sid))!;
          const files: Record<string, Uint8Array> = {};
          for (const f of ["label.png", "inst.png", "features.json"]) {
            files[`scene/${f}`] = await Deno.readFile(join(dir, f));
          }
          return zipSync(files);
        });
        return new Response(bytes(zip), {
          headers: {
            "content-type": "application/zip",
            "content-disposition": `attachment; filename="scene.zip"`,
            "cache-control": "no-store",
          },
        });
      }
      default:
        return notFound();
    }
  }

  #info() {
    const { palette, sceneModel: m } = this.#o;
    return {
      model: this.#o.modelName,
      label_nc: m.label_nc,
      feat_num: m.feat_num,
      classes: Array.from({ length: m.label_nc }, (_, id) => ({
        id,
        name: palette.names[id] ?? `class ${id}`,
        color: palette.colors[id] ?? [0, 0, 0],
      })),
      styles: Object.fromEntries([...(m.clusters?.centres ?? [])].map(([c, rows]) => [c, rows.length])),
      dataset: this.#o.dataset.map((e) => e.name),
      maxUploadBytes: this.#o.maxUploadBytes,
    };
  }

  /** Runs a job after every job queued before it (the model and the scenes are used by one at a time). */
  #work<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Saves a snapshot of the session's scene after the answer has gone out: one save at a time per
   * session, and only the newest snapshot waiting is written.
   */
  #autosave(sid: string, session: StudioSession): void {
    const snapshot = { scene: cloneScene(session.scene), source: session.source };
    const running = this.#saves.get(sid);
    if (running) {
      running.next = snapshot;
      return;
    }
    const entry: { done: Promise<void>; next: { scene: Scene; source: string } | null } = {
      done: Promise.resolve(),
      next: snapshot,
    };
    this.#saves.set(sid, entry);
    entry.done = (async () => {
      for (let job = entry.next; job; job = entry.next) {
        entry.next = null;
        try {
          await this.#store.save(sid, job.scene, job.source);
        } catch (error) {
          console.error(`studio: cannot autosave session ${sid}: ${(error as Error).message}`);
        }
      }
      this.#saves.delete(sid);
    })();
  }

  async #session(sid: string): Promise<StudioSession> {
    const live = this.#sessions.get(sid);
    if (live) {
      this.#sessions.delete(sid);
      this.#sessions.set(sid, live);
      return live;
    }
    const { clusters, classNames } = this.#o.sceneModel;
    let session: StudioSession;
    let saved = null;
    try {
      saved = await this.#store.load(sid, { clusters, classNames, max_history: 500 });
    } catch (error) {
      console.error(
        `studio: the autosave of session ${sid} cannot be read, opening the default scene: ${
          (error as Error).message
        }`,
      );
    }
    if (saved) {
      session = new StudioSession(this.#o.model, saved.current, saved.initial, saved.source);
    } else {
      const d = this.#o.defaultScene;
      const scene = await sceneFromFiles(d, this.#o.sceneModel);
      session = await this.#start(sid, scene, d.name);
    }
    this.#remember(sid, session);
    return session;
  }

  async #start(sid: string, scene: Scene, source: string): Promise<StudioSession> {
    await this.#saves.get(sid)?.done;
    await this.#store.saveInitial(sid, scene, source);
    return new StudioSession(this.#o.model, scene, cloneScene(scene), source);
  }

  #remember(sid: string, session: StudioSession): void {
    this.#sessions.get(sid)?.dispose();
    this.#sessions.delete(sid);
    this.#sessions.set(sid, session);
    while (this.#sessions.size > (this.#o.maxSessions ?? 8)) {
      const [oldest, evicted] = this.#sessions.entries().next().value!;
      evicted.dispose();
      this.#sessions.delete(oldest);
    }
  }

  async #open(request: Request, sid: string) {
    const type = request.headers.get("content-type") ?? "";
    let make: () => Promise<{ scene: Scene; source: string }>;
    if (type.startsWith("application/json")) {
      const body = await this.#readJson(request);
      const entry = this.#o.dataset.find((e) => e.name === body.dataset);
      if (!entry) {
        throw new RequestError(`${JSON.stringify(body.dataset)} is not a scene of the dataset list`);
      }
      make = async () => ({ scene: await sceneFromFiles(entry, this.#o.sceneModel), source: entry.name });
    } else if (type.startsWith("multipart/form-data")) {
      const raw = await this.#readBody(request);
      let form: FormData;
      try {
        form = await new Request("http://local/", {
          method: "POST",
          headers: { "content-type": type },
          body: bytes(raw),
        })
          .formData();
      } catch {
        throw new RequestError("malformed upload: the form data cannot be read");
      }
      const label = form.get("label"), inst = form.get("inst");
      if (!(label instanceof File)) throw new RequestError(`the upload has no "label" file`);
      const labelBytes = new Uint8Array(await label.arrayBuffer());
      const instFile = inst instanceof File && inst.size > 0 ? inst : null;
      if (uploadKind(labelBytes) === "zip") {
        make = async () => ({
          scene: await sceneFromZip(labelBytes, label.name, this.#o.sceneModel),
          source: label.name,
        });
      } else {
        if (uploadKind(labelBytes) !== "png") {
          throw new RequestError(
            `${label.name}: is not a PNG file (nor a scene zip): open a label map PNG (class ids), ` +
              `optionally with its instance map PNG`,
          );
        }
        const instPart = instFile
          ? { bytes: new Uint8Array(await instFile.arrayBuffer()), name: instFile.name }
          : null;
        make = async () => ({
          scene: await sceneFromImages({ bytes: labelBytes, name: label.name }, instPart, this.#o.sceneModel),
          source: label.name,
        });
      }
    } else {
      throw new RequestError(
        `open takes JSON { "dataset": name } or a multipart form with "label" (and "inst")`,
      );
    }
    return await this.#work(async () => {
      const { scene, source } = await make();
      const session = await this.#start(sid, scene, source);
      this.#remember(sid, session);
      return session.state();
    });
  }

  async #readJson(request: Request): Promise<Record<string, unknown>> {
    const text = new TextDecoder().decode(await this.#readBody(request));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RequestError("malformed request: the body is not JSON");
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new RequestError("malformed request: the body must be a JSON object");
    }
    return body as Record<string, unknown>;
  }

  /** The request body, refused (413) beyond the upload limit, by its length header or as it streams in. */
  async #readBody(request: Request): Promise<Uint8Array> {
    const limit = this.#o.maxUploadBytes;
    const tooLarge = (size: string) =>
      new TooLarge(
        `upload too large (${size}): the studio accepts at most ${(limit / 2 ** 20).toFixed(1)} MiB ` +
          `(--max_upload_mb)`,
      );
    const declared = Number(request.headers.get("content-length") ?? NaN);
    if (declared > limit) throw tooLarge(`${(declared / 2 ** 20).toFixed(1)} MiB`);
    if (!request.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of request.body) {
      total += chunk.length;
      if (total > limit) throw tooLarge(`more than ${(limit / 2 ** 20).toFixed(1)} MiB`);
      chunks.push(chunk);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
