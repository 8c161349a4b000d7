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

const tiny = definePlugin({
  name: "tiny-net",
  role: "generator",
  description: "a generator",
  provides: ["generator", "netG:tiny"],
  schema: defineSchema({
    ngf: { type: "int", default: 8, min: 1, doc: "filters" },
    seed: { type: "int", default: 0, min: 0, doc: "seed" },
  }),
  create: (o) => ({ ngf: o.ngf, seed: o.seed }),
});
const big = definePlugin({ ...tiny, name: "big-net", provides: ["generator", "netG:big"] });

Deno.test("Registry finds plugins by what they provide", () => {
  const r = new Registry().register(scale).register(tiny).register(big);
  assert.deepEqual(r.providers("generator").map((p) => p.name), ["big-net", "tiny-net"]);
  assert.deepEqual(r.providers("netD:multiscale"), []);
  assert.equal(r.provider("netG:tiny"), tiny);
  assert.deepEqual(r.capabilities(), ["generator", "netG:big", "netG:tiny", "scale"]);
  assert.deepEqual(r.capabilities("netG:"), ["netG:big", "netG:tiny"]);
});

Deno.test("Registry.provider() names the closest capability and lists what each plugin provides", () => {
  const r = new Registry().register(scale).register(tiny).register(big);
  assert.throws(
    () => r.provider("netG:tinny"),
    (e: Error) =>
      e.message ===
        'No plugin provides "netG:tinny" (did you mean "netG:tiny"?); provided: generator (big-net, tiny-net), ' +
          "netG:big (big-net), netG:tiny (tiny-net), scale (scale)",
  );
  assert.throws(
    () => r.provider("generator"),
    /Several plugins provide "generator": big-net, tiny-net; name one with registry\.get\(name\)/,
  );
  assert.throws(() => new Registry().provider("x"), /No plugin provides "x"; provided: nothing/);
});

Deno.test("Registry.provide() builds the provider from the options its schema declares, validated", () => {
  const r = new Registry().register(tiny);
  const recipe = { ngf: 16, seed: 3, lr: 0.1, name: "run" }; // lr and name belong to other plugins
  assert.deepEqual(r.provide("netG:tiny", recipe, ctx), { ngf: 16, seed: 3 });
  assert.deepEqual(r.provide("netG:tiny", {}, ctx), { ngf: 8, seed: 0 });
  assert.throws(() => r.provide("netG:tiny", { ngf: 0 }, ctx), /tiny-net.*ngf/);
});
