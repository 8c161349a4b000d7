import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../../kernel/errors.ts";
import { removeStaleTemps, writeFileAtomic } from "../../formats/atomic.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeFileAtomic creates and replaces files and leaves no temp file", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "latest_net_G.safetensors");
    await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    assert.deepEqual(await Deno.readFile(path), Uint8Array.of(1, 2, 3));
    const big = new Uint8Array(3 << 20).map((_, i) => i % 251);
    await writeFileAtomic(path, big);
    assert.deepEqual(await Deno.readFile(path), big);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["latest_net_G.safetensors"]);
  }));

Deno.test("a write that fails midway keeps the old file intact and removes the temp file", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "w.bin");
    await Deno.writeFile(path, Uint8Array.of(7, 7, 7));
    const diskFull = async (file: Deno.FsFile, bytes: Uint8Array) => {
      await file.write(bytes.subarray(0, 2));
      throw new Error("No space left on device (os error 28)");
    };
    await assert.rejects(writeFileAtomic(path, Uint8Array.of(1, 2, 3, 4), diskFull), (e) => {
      assert.ok(e instanceof DataError);
      assert.equal(
        e.message,
        `${path}: cannot write the file (No space left on device (os error 28)); ` +
          "the previous version, if any, is unchanged",
      );
      return true;
    });
    assert.deepEqual(await Deno.readFile(path), Uint8Array.of(7, 7, 7));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["w.bin"]);
  }));

Deno.test("a failing rename keeps the target and removes the temp file", () =>
  withTempDir(async (dir) => {
    const target = join(dir, "occupied");
    await Deno.mkdir(target);
    await Deno.writeFile(join(target, "keep"), Uint8Array.of(1));
    await assert.rejects(writeFileAtomic(target, Uint8Array.of(1)), DataError);
    assert.deepEqual(await Deno.readFile(join(target, "keep")), Uint8Array.of(1));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["occupied"]);
  }));

Deno.test("writing into a missing folder names the folder", async () => {
  await assert.rejects(
    writeFileAtomic("/nonexistent-folder/x.bin", Uint8Array.of(1)),
    /^DataError: \/nonexistent-folder\/x\.bin: cannot write the file \(the folder \/nonexistent-folder does not exist\)/,
  );
});

Deno.test("removeStaleTemps() removes a killed writer's temp files of one file and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  const target = join(dir, "a.png");
  const names = [
    ".a.png.0badc0de.tmp",
    ".a.png.12345678.tmp",
    ".b.png.0badc0de.tmp",
    ".a.png.notahex!.tmp",
    "a.png",
  ];
  for (const name of names) await Deno.writeFile(join(dir, name), new Uint8Array([1]));
  const removed = await removeStaleTemps(target);
  assert.deepEqual(removed.sort(), [join(dir, ".a.png.0badc0de.tmp"), join(dir, ".a.png.12345678.tmp")]);
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(left, [".a.png.notahex!.tmp", ".b.png.0badc0de.tmp", "a.png"]);
  assert.deepEqual(await removeStaleTemps(join(dir, "missing", "x.png")), []);
  await Deno.remove(dir, { recursive: true });
});
