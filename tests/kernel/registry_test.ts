import assert from "node:assert/strict";
import { loadPlugin, Registry } from "../../kernel/registry.ts";
import { definePlugin } from "../../kernel/plugin.ts";
import { defineSchema } from "../../kernel/options.ts";
import { log } from "../../kernel/log.ts";

const ctx = { backend: "cpu", log };
const scale = definePlugin({
  name: "scale",
  role: "transform",
  description: "multiplies x",
  provides: ["scale"],
  schema: defineSchema({ factor: { type: "number", default: 2, min: 0, doc: "factor" } }),
  create: (o) => o.factor,
});

Deno.test("Registry resolves a plugin by name and builds it with validated options", () => {
  const r = new Registry().register(scale);
  assert.equal(r.create("scale", {}, ctx), 2);
  assert.equal(r.create("scale", { factor: 3 }, ctx), 3);
  assert.throws(
    () => r.create("scale", { factr: 3 }, ctx),
    /"factr" is not an option \(did you mean "factor"\?\)/,
  );
  assert.deepEqual(r.list("transform").map((p) => p.name), ["scale"]);
});

Deno.test("Registry names the closest plugin for an unknown name", () => {
  const r = new Registry().register(scale);
  assert.throws(
    () => r.get("scael"),
    /Unknown plugin "scael" \(did you mean "scale"\?\); registered plugins: scale/,
  );
});

Deno.test("Registry refuses a non-plugin and a second plugin of the same name", () => {
  const r = new Registry().register(scale);
  assert.throws(() => r.register({ name: "x" } as never), /lacks: role, schema, create/);
  assert.throws(() => r.register({ ...scale }), /a different plugin has that name already/);
});

Deno.test("loadPlugin() loads a third-party plugin from a local path", async () => {
  const dir = await Deno.makeTempDir();
  const kernel = new URL("../../kernel/plugin.ts", import.meta.url).href;
  await Deno.writeTextFile(
    `${dir}/my_plugin.ts`,
    `import { definePlugin } from "${kernel}";
export default definePlugin({ name: "mine", role: "transform", description: "d", provides: [], schema: {}, create: () => 42 });`,
  );
  const r = new Registry();
  const loaded = await loadPlugin(`${dir}/my_plugin.ts`, r);
  assert.deepEqual(loaded.map((p) => p.name), ["mine"]);
  assert.equal(r.create("mine", {}, ctx), 42);
  await Deno.writeTextFile(`${dir}/empty.ts`, `export const x = 1;`);
  await assert.rejects(loadPlugin(`${dir}/empty.ts`, r), /exports no plugin/);
  await assert.rejects(loadPlugin(`${dir}/missing.ts`, r), /Cannot load plugin module/);
});
