import assert from "node:assert/strict";
import { join } from "node:path";
import { decode, encode } from "fast-png";
import { tf } from "../../backends/tf.ts";
import { ansiPicture, labelColor, loadScene, save, toRgb } from "../../scripts/repl_helpers.ts";
import { DataError } from "../../kernel/errors.ts";
import { selectBackend } from "../../backends/select.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
await selectBackend("cpu");
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** A 3×2 scene in the official layout: 8-bit label ids and 16-bit instance ids. */
async function writeScene(dir: string): Promise<{ labelPath: string; instPath: string }> {
  await Deno.mkdir(join(dir, "test_label"));
  await Deno.mkdir(join(dir, "test_inst"));
  const labelPath = join(dir, "test_label", "a.png");
  const instPath = join(dir, "test_inst", "a.png");
  const label = Uint8Array.from([7, 7, 26, 7, 26, 26]);
  const inst = Uint16Array.from([7, 7, 26001, 7, 26002, 26001]);
  await Deno.writeFile(labelPath, encode({ width: 3, height: 2, data: label, channels: 1, depth: 8 }));
  await Deno.writeFile(instPath, encode({ width: 3, height: 2, data: inst, channels: 1, depth: 16 }));
  return { labelPath, instPath };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "repl_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the REPL starts with a banner, the kernel and the helpers, and evaluates what is typed", async () => {
  await withTempDir(async (dir) => {
    const { labelPath } = await writeScene(dir);
    const saved = join(dir, "saved.png");
    const env = Deno.env.toObject();
    delete env.NO_COLOR;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/repl.ts", "--backend", "cpu"],
      cwd: ROOT,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = [
      "const before = tf.memory().numTensors",
      "typeof tf.conv2d",
      `const scene = await loadScene(${JSON.stringify(labelPath)})`,
      "scene.label.shape",
      "Array.from(scene.inst.dataSync()).join(' ')",
      "show(scene, 3)",
      `await save(scene.inst, ${JSON.stringify(saved)})`,
      "plugins()",
      'plugins("netG:local")',
      `await loadScene(${JSON.stringify(join(dir, "missing.png"))})`,
      "tf.dispose([scene.label, scene.inst]); `leaked ${tf.memory().numTensors - before}`",
      "close()",
    ];
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
    await writer.close();
    const out = await child.output();
    const raw = new TextDecoder().decode(out.stdout);
    const stdout = raw.replace(ANSI, "");
    const stderr = new TextDecoder().decode(out.stderr).replace(ANSI, "");
    const all = stdout + stderr;
    assert.equal(out.code, 0, all);
    assert.match(stdout, /^pix2pixHD for Deno — backend cpu \(asked for\)/);
    assert.match(stdout, /The \d+ names mod\.ts exports are globals and under p2phd\.\*/);
    assert.doesNotMatch(stdout, /selectBackend/, "the banner lists the helpers, not every export");
    assert.match(stdout, /Helpers:\n {2}const scene = await loadScene/);
    assert.match(stdout, /"function"/);
    assert.match(stdout, /\[ 1, 2, 3, 1 \]/);
    assert.match(stdout, /"7 7 26001 7 26002 26001"/);
    assert.ok(
      raw.includes(`\x1b[38;2;${labelColor(7).join(";")}m\x1b[48;2;${labelColor(7).join(";")}m▀`),
      raw,
    );
    assert.match(stdout, /\naligned +dataset +.*\n/, "plugins() lists every plugin");
    assert.match(
      stdout,
      /\nlocal-enhancer +generator +pix2pixHD LocalEnhancer .* \[provides generator, netG:local\]\n(?!global-generator)/,
      'plugins("netG:local") lists the plugins providing it, with what they provide',
    );
    assert.match(all, /Uncaught DataError: .*missing\.png: cannot read it/);
    assert.match(stdout, /"leaked 0"/);
    const png = decode(await Deno.readFile(saved));
    assert.equal(png.depth, 16);
    assert.deepEqual(Array.from(png.data), [7, 7, 26001, 7, 26002, 26001]);
  });
});

Deno.test("a backend that is not a choice stops the REPL before it starts, exit 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/repl.ts", "--backend", "wasn"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    'error: unknown backend "wasn" (did you mean "wasm"?); choose one of auto, tensorflow, onednn, webgpu, ort, wasm, cpu; ' +
      "see repl --help\n",
  );
});

Deno.test("loadScene finds the instance map in the sibling _inst folder and keeps 16-bit ids", async () => {
  await withTempDir(async (dir) => {
    const { labelPath, instPath } = await writeScene(dir);
    const scene = await loadScene(labelPath);
    try {
      assert.equal(scene.instPath, instPath);
      assert.deepEqual(scene.label.shape, [1, 2, 3, 1]);
      assert.equal(scene.label.dtype, "int32");
      assert.deepEqual(Array.from(scene.label.dataSync()), [7, 7, 26, 7, 26, 26]);
      assert.deepEqual(Array.from(scene.inst!.dataSync()), [7, 7, 26001, 7, 26002, 26001]);
    } finally {
      tf.dispose([scene.label, scene.inst!]);
    }
  });
});

Deno.test("loadScene rejects an RGB label map and a size mismatch, naming the file, leaking nothing", async () => {
  await withTempDir(async (dir) => {
    const { labelPath } = await writeScene(dir);
    const rgb = join(dir, "rgb.png");
    await Deno.writeFile(
      rgb,
      encode({ width: 1, height: 1, data: Uint8Array.from([1, 2, 3]), channels: 3, depth: 8 }),
    );
    const small = join(dir, "small.png");
    await Deno.writeFile(
      small,
      encode({ width: 1, height: 1, data: Uint8Array.from([1]), channels: 1, depth: 8 }),
    );
    const before = tf.memory().numTensors;
    await assert.rejects(
      loadScene(rgb),
      (e) => e instanceof DataError && /rgb\.png: is a 3-channel 8-bit PNG/.test(e.message),
    );
    await assert.rejects(
      loadScene(labelPath, small),
      (e) => e instanceof DataError && /small\.png: is 1×1 but its label map .*a\.png is 3×2/.test(e.message),
    );
    await Deno.writeFile(join(dir, "bad.png"), Uint8Array.from([137, 80, 78, 71, 1, 2]));
    await assert.rejects(loadScene(join(dir, "bad.png")), /bad\.png: is not a readable PNG/);
    assert.equal(tf.memory().numTensors, before);
  });
});

Deno.test("labelColor follows the official labelcolormap bit spreading", () => {
  // pix2pixHD util.labelcolormap(N) for N != 35: ids 0..7 are black, (128,0,0), (0,128,0), (128,128,0), …
  assert.deepEqual(labelColor(0), [0, 0, 0]);
  assert.deepEqual(labelColor(1), [128, 0, 0]);
  assert.deepEqual(labelColor(2), [0, 128, 0]);
  assert.deepEqual(labelColor(5), [128, 0, 128]);
  assert.deepEqual(labelColor(8), [64, 0, 0]);
  assert.deepEqual(labelColor(9), [192, 0, 0]);
});

Deno.test("images map from [-1, 1] to bytes; save writes an RGB picture of a label map on request", async () => {
  await withTempDir(async (dir) => {
    const before = tf.memory().numTensors;
    const image = tf.tensor3d([-1, 0, 1, 2, -2, 0.5], [1, 2, 3]);
    assert.deepEqual(Array.from(toRgb(image).data), [0, 128, 255, 255, 0, 191]);
    const label = tf.tensor4d([1, 2], [1, 1, 2, 1], "int32");
    const path = await save(label, join(dir, "colors.png"), { colors: true });
    const png = decode(await Deno.readFile(path));
    assert.equal(png.channels, 3);
    assert.deepEqual(Array.from(png.data), [128, 0, 0, 0, 128, 0]);
    assert.equal(ansiPicture(toRgb(label)), "\x1b[38;2;128;0;0m\x1b[49m▀\x1b[38;2;0;128;0m\x1b[49m▀\x1b[0m");
    tf.dispose([image, label]);
    assert.equal(tf.memory().numTensors, before);
  });
});

Deno.test("loadScene finds the Cityscapes partner: *_gtFine_labelIds.png → *_gtFine_instanceIds.png", async () => {
  const bundled = new URL("../../datasets/cityscapes/", import.meta.url).pathname;
  const name = "frankfurt_000000_000576_gtFine";
  // the aligned layout with Cityscapes names (the bundled sample)
  const scene = await loadScene(`${bundled}test_label/${name}_labelIds.png`);
  assert.equal(scene.instPath, `${bundled}test_inst/${name}_instanceIds.png`);
  assert.ok(scene.inst);
  tf.dispose([scene.label, scene.inst]);
  // the gtFine tree: both files side by side
  await withTempDir(async (dir) => {
    for (const kind of ["labelIds", "instanceIds"]) {
      const folder = kind === "labelIds" ? "test_label" : "test_inst";
      await Deno.copyFile(`${bundled}${folder}/${name}_${kind}.png`, join(dir, `${name}_${kind}.png`));
    }
    const beside = await loadScene(join(dir, `${name}_labelIds.png`));
    assert.equal(beside.instPath, join(dir, `${name}_instanceIds.png`));
    tf.dispose([beside.label, beside.inst!]);
  });
});
