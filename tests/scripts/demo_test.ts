import assert from "node:assert/strict";
import { decode } from "fast-png";
import { runDeno } from "../_run_deno.ts";

const script = new URL("../../scripts/demo.ts", import.meta.url).pathname;
const root = new URL("../../", import.meta.url).pathname;

async function demo(...args: string[]) {
  return await runDeno(["run", "-A", script, ...args], { cwd: root });
}

Deno.test("demo synthesizes bundled scenes with the shipped weights and writes a report with diverse styles and an edit", async () => {
  const dir = await Deno.makeTempDir();
  const { code, stdout, stderr } = await demo(
    "--out",
    dir,
    "--how_many",
    "2",
    "--styles",
    "2",
    "--json",
    "--backend",
    "wasm",
  );
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(
    result.images,
    2 + 2 + 2 + 4,
    "test and training scenes, styles, the edit sequence's 4 states",
  );
  const html = await Deno.readTextFile(result.report);
  for (const src of html.matchAll(/src="([^"]+)"/g)) {
    assert.ok((await Deno.stat(`${dir}/${src[1]}`)).size > 1000, src[1]);
  }
  assert.match(html, /_real\.png/);
  assert.match(
    html,
    /an edit sequence \(plugins\/editing\) — remove the largest car \(\d+\), building → vegetation/,
  );
  assert.match(html, /then undone \(the first image again, pixel for pixel\)/);
  const [before, removed] = await Promise.all(
    ["edit0", "edit1"].map((s) => Deno.readFile(`${dir}/images/frankfurt_000000_000576_${s}.png`)),
  );
  assert.notDeepEqual(before, removed, "removing the car changed nothing");
  const [a, b] = await Promise.all(
    [1, 2].map((s) => Deno.readFile(`${dir}/images/frankfurt_000000_000576_style${s}.png`)),
  );
  assert.notDeepEqual(a, b, "two style seeds gave the same image");
});

Deno.test("demo says where to get weights when they are missing", async () => {
  const { code, stderr } = await demo("--weights", "/nope/model", "--out", await Deno.makeTempDir());
  assert.equal(code, 1);
  assert.match(
    stderr,
    /finds no weights: neither \/nope\/model\/latest_net_G\.safetensors nor .* exists; train the run/,
  );
});

Deno.test("demo --runtime onnxruntime writes the tfjs runtime's images, up to a level of rounding", async () => {
  const dirs = { tfjs: await Deno.makeTempDir(), onnxruntime: await Deno.makeTempDir() };
  for (const [runtime, dir] of Object.entries(dirs)) {
    const { code, stdout, stderr } = await demo(
      ...[
        "--out",
        dir,
        "--how_many",
        "1",
        "--styles",
        "1",
        "--json",
        "--backend",
        "wasm",
        "--runtime",
        runtime,
      ],
    );
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.runtime, runtime);
    assert.equal(result.images, 1 + 1 + 1 + 4);
  }
  const names = [...Deno.readDirSync(`${dirs.tfjs}/images`)].map((e) => e.name).sort();
  assert.ok(names.some((n) => n.endsWith("_style1.png")) && names.some((n) => n.endsWith("_edit1.png")));
  for (const name of names) {
    const [a, b] = [dirs.tfjs, dirs.onnxruntime].map((d) =>
      decode(Deno.readFileSync(`${d}/images/${name}`)).data
    );
    assert.equal(a.length, b.length, name);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    assert.ok(worst <= 1, `${name}: ${worst} levels apart`);
  }
  for (const dir of Object.values(dirs)) await Deno.remove(dir, { recursive: true });
});
