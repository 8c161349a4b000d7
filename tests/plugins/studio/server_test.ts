import assert from "node:assert/strict";
import { join } from "node:path";
import { unzipSync, zipSync } from "fflate";
import { selectBackend } from "../../../backends/select.ts";
import { encodePng } from "../../../plugins/data/write_image.ts";
import { openStudio } from "../../../plugins/studio/open.ts";

await selectBackend("wasm");

const root = new URL("../../../", import.meta.url).pathname;
const MODEL = join(root, "weights/label2city_256p");
const DATAROOT = join(root, "datasets/cityscapes");
const A = "aaaaaaaa-0000-4000-8000-000000000001", B = "bbbbbbbb-0000-4000-8000-000000000002";

/** A studio served on a free port; `url(path)` addresses it. */
async function serve(stateDir: string, maxUploadMb = 1, width = 0) {
  const opened = await openStudio({ model: MODEL, dataroot: DATAROOT, stateDir, maxUploadMb, width });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, opened.studio.handle);
  const port = server.addr.port;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    async close() {
      await server.shutdown();
      await opened.studio.flush();
      opened.dispose();
    },
  };
}

/** Sends a request line as is (fetch would normalise `..` away) and returns the status code. */
async function rawStatus(port: number, target: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
  );
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (let n; (n = await conn.read(buf)) !== null;) chunks.push(buf.slice(0, n));
  conn.close();
  const head = new TextDecoder().decode(chunks[0] ?? new Uint8Array());
  return Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0);
}

const post = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function maps(url: (p: string) => string, sid: string): Promise<Uint16Array> {
  return new Uint16Array(await (await fetch(url(`/api/maps?sid=${sid}`))).arrayBuffer());
}

function labelPng(value: number): Uint8Array<ArrayBuffer> {
  return <Uint8Array<ArrayBuffer>> encodePng({
    width: 32,
    height: 16,
    channels: 1,
    data: new Uint8Array(32 * 16).fill(value),
  });
}

async function upload(
  url: (p: string) => string,
  sid: string,
  files: Record<string, Blob & { name?: string }>,
) {
  const form = new FormData();
  for (const [key, file] of Object.entries(files)) form.append(key, file, file.name ?? `${key}.png`);
  return await fetch(url(`/api/open?sid=${sid}`), { method: "POST", body: form });
}

Deno.test("studio serves only its own files: traversal in any spelling is 404", async () => {
  const dir = await Deno.makeTempDir();
  const s = await serve(dir);
  try {
    const page = await fetch(s.url("/"));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /data-testid="label-canvas"/);
    assert.equal((await fetch(s.url("/app/studio.js"))).status, 200);
    for (
      const target of [
        "/app/../deno.json",
        "/../deno.json",
        "/app/%2e%2e/%2e%2e/deno.json",
        "/app/%2E%2E%2Fserver.ts",
        "/app/..%2fserver.ts",
        "/app/..%5cserver.ts",
        "/app\\..\\server.ts",
        "/app/server.ts",
        "/deno.json",
        "/datasets/cityscapes/test_label/frankfurt_000000_000576_gtFine_labelIds.png",
        "/api/info/../../deno.json",
      ]
    ) {
      assert.equal(await rawStatus(s.port, target), 404, target);
    }
    assert.equal((await fetch(s.url("/api/info"))).status, 200);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("studio rejects bad uploads and malformed requests with a message and keeps answering", async () => {
  const dir = await Deno.makeTempDir();
  const s = await serve(dir, 1);
  try {
    let r = await upload(s.url, A, { label: new File(["hello"], "notes.txt") });
    assert.equal(r.status, 400);
    assert.match((await r.json()).error, /notes\.txt: is not a PNG file/);
    r = await upload(s.url, A, { label: new File([labelPng(40)], "bad_label.png") });
    assert.equal(r.status, 400);
    assert.match((await r.json()).error, /bad_label\.png: has class id 40, but the model knows classes 0…34/);
    r = await upload(s.url, A, { label: new File([new Uint8Array(2 * 2 ** 20)], "huge.png") });
    assert.equal(r.status, 413);
    assert.match(
      (await r.json()).error,
      /upload too large \(2\.0 MiB\): the studio accepts at most 1\.0 MiB/,
    );
    r = await fetch(s.url(`/api/edit?sid=${A}`), { method: "POST", body: "{not json" });
    assert.equal(r.status, 400);
    assert.match((await r.json()).error, /not JSON/);
    r = await fetch(
      s.url(`/api/edit?sid=${A}`),
      post({ op: "paint", class: 99, points: [[1, 1]], radius: 2 }),
    );
    assert.equal(r.status, 400);
    assert.match((await r.json()).error, /99/);
    r = await fetch(s.url(`/api/edit?sid=${A}`), post({ op: "explode" }));
    assert.match((await r.json()).error, /unknown operation "explode"/);
    r = await fetch(s.url("/api/state?sid=../../etc"));
    assert.equal(r.status, 400);
    r = await fetch(s.url(`/api/open?sid=${A}`), {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: "garbage",
    });
    assert.match((await r.json()).error, /malformed upload/);
    r = await fetch(s.url(`/api/edit?sid=${A}`), {
      ...post({ op: "undo" }),
      headers: { "content-type": "application/json", origin: "http://evil.example" },
    });
    assert.equal(r.status, 403);
    assert.match((await r.json()).error, /another site \(http:\/\/evil\.example\)/);
    assert.equal((await fetch(s.url("/"))).status, 200);
    // a good upload still works afterwards
    r = await upload(s.url, A, { label: new File([labelPng(7)], "road.png") });
    assert.equal(r.status, 200);
    assert.deepEqual([(await r.json()).width, (await maps(s.url, A))[0]], [256, 7]);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("studio sessions are independent, autosaved across a restart, and reset returns to the opened scene", async () => {
  const dir = await Deno.makeTempDir();
  let s = await serve(dir);
  let edited: Uint16Array;
  let original: Uint16Array;
  try {
    original = await maps(s.url, A);
    assert.deepEqual(await maps(s.url, B), original);
    const r = await fetch(
      s.url(`/api/edit?sid=${A}`),
      post({ op: "paint", class: 21, points: [[30, 100]], radius: 6 }),
    );
    const state = await r.json();
    assert.equal(state.canUndo, true);
    edited = await maps(s.url, A);
    assert.notDeepEqual(edited, original);
    assert.deepEqual(await maps(s.url, B), original, "the other tab's scene is untouched");
    // a render of a replaced state is dropped without running the model
    assert.equal((await fetch(s.url(`/api/render?sid=${A}&state=${state.stateId - 1}`))).status, 409);
  } finally {
    await s.close();
  }
  s = await serve(dir);
  try {
    assert.deepEqual(await maps(s.url, A), edited, "the edit survives a server restart");
    const r = await fetch(s.url(`/api/edit?sid=${A}`), post({ op: "reset" }));
    assert.equal(r.status, 200);
    assert.deepEqual(await maps(s.url, A), original);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("studio's saved scene zip opens again as the same scene; dataset scenes open by name only", async () => {
  const dir = await Deno.makeTempDir();
  const s = await serve(dir, 4);
  try {
    const info = await (await fetch(s.url("/api/info"))).json();
    assert.equal(info.classes[26].name, "car");
    assert.ok(info.dataset.length >= 2);
    let r = await fetch(s.url(`/api/open?sid=${A}`), post({ dataset: info.dataset[1] }));
    assert.equal((await r.json()).source, info.dataset[1]);
    r = await fetch(s.url(`/api/open?sid=${A}`), post({ dataset: "../../deno.json" }));
    assert.match((await r.json()).error, /is not a scene of the dataset list/);
    await fetch(s.url(`/api/edit?sid=${A}`), post({ op: "fill", class: 22, x: 5, y: 120 }));
    const before = await maps(s.url, A);
    const zip = new Uint8Array(await (await fetch(s.url(`/api/scene.zip?sid=${A}`))).arrayBuffer());
    assert.deepEqual(Object.keys(unzipSync(zip)).sort(), [
      "scene/features.json",
      "scene/inst.png",
      "scene/label.png",
    ]);
    r = await upload(s.url, B, { label: new File([zip], "scene.zip") });
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual(await maps(s.url, B), before);
    r = await upload(s.url, B, { label: new File([zipSync({ "x.txt": new Uint8Array(3) })], "other.zip") });
    assert.match(
      (await r.json()).error,
      /other\.zip: is not a saved scene: it lacks label\.png, inst\.png, features\.json/,
    );
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("studio renders a wide scene's quick preview at half width or less before the full image", async () => {
  const dir = await Deno.makeTempDir();
  const s = await serve(dir, 1, 600);
  try {
    const state = await (await fetch(s.url(`/api/state?sid=${A}`))).json();
    assert.deepEqual([state.width, state.height, state.preview], [600, 300, 300]);
    const png = new Uint8Array(
      await (await fetch(s.url(`/api/render?sid=${A}&state=${state.stateId}&preview=1`))).arrayBuffer(),
    );
    const view = new DataView(png.buffer);
    assert.deepEqual([view.getUint32(16), view.getUint32(20)], [300, 150]); // IHDR width, height
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
