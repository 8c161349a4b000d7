import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

Deno.test("deno.json exports mod.ts as the package's entry, and every task runs a file that exists", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  assert.deepEqual(config.exports, { ".": "./mod.ts" });
  const entry = await import(new URL(config.exports["."], root).href);
  assert.equal(typeof entry.pipeline, "function");
  for (const [name, command] of Object.entries(config.tasks as Record<string, string>)) {
    const file = /\b((?:scripts|tests)\/\S*)/.exec(command)?.[1];
    assert.ok(file, `task ${name} runs a project file`);
    assert.ok(
      await Deno.stat(new URL(file, root)).then(() => true, () => false),
      `task ${name}: ${file} exists`,
    );
  }
});
