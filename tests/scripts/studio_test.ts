import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

async function studio(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/studio.ts", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("studio refuses bad options with one line before serving anything", async () => {
  let r = await studio("--inst", "inst.png");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--inst needs --scene \(the label map it belongs to\)/);
  r = await studio("--port", "70000");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"port"/);
  const dir = await Deno.makeTempDir();
  try {
    r = await studio("--scene", `${dir}/missing.png`, "--state", dir, "--backend", "wasm");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.png: cannot be read \(file not found\)/);
    assert.doesNotMatch(r.stderr, /studio: http/);
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      r = await studio("--port", String(taken.addr.port), "--state", dir, "--backend", "wasm");
    } finally {
      taken.close();
    }
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`"port" ${taken.addr.port} is in use on 127\\.0\\.0\\.1: pick another`),
    );
    r = await studio("--dataroot", dir, "--state", dir, "--backend", "wasm");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"dataroot" has no label maps/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
