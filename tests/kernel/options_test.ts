import assert from "node:assert/strict";
import { closest, defineSchema, diffFromDefaults, pick, resolveOptions } from "../../kernel/options.ts";
import { OptionsError } from "../../kernel/errors.ts";

const schema = defineSchema({
  ngf: { type: "int", default: 64, min: 1, max: 1024, doc: "generator filters" },
  lr: { type: "number", default: 0.0002, min: 0, doc: "learning rate" },
  norm: { type: "enum", default: "instance", choices: ["instance", "batch"], doc: "normalisation" },
  no_flip: { type: "boolean", default: false, doc: "no random flip" },
  name: { type: "string", default: null, doc: "run name" },
});

Deno.test("resolveOptions() fills defaults and keeps given values", () => {
  const o = resolveOptions("g", schema, { ngf: 32, no_flip: true });
  assert.deepEqual(o, { ngf: 32, lr: 0.0002, norm: "instance", no_flip: true, name: null });
});

Deno.test("resolveOptions() parses command-line strings", () => {
  const o = resolveOptions("g", schema, { ngf: "16", lr: "1e-3", no_flip: "true" });
  assert.equal(o.ngf, 16);
  assert.equal(o.lr, 0.001);
  assert.equal(o.no_flip, true);
});

Deno.test("resolveOptions() rejects an unknown key, suggesting the closest and listing the valid ones", () => {
  assert.throws(() => resolveOptions("global-generator", schema, { ngff: 3 }), (e: Error) => {
    assert.ok(e instanceof OptionsError);
    assert.match(
      e.message,
      /"ngff" is not an option \(did you mean "ngf"\?\); valid options: ngf, lr, norm, no_flip, name/,
    );
    return true;
  });
});

Deno.test("resolveOptions() rejects wrong types and values out of range, quoting the value", () => {
  assert.throws(
    () => resolveOptions("g", schema, { ngf: 0 }),
    /"ngf" must be an integer in \[1, 1024\]: current value is 0/,
  );
  assert.throws(
    () => resolveOptions("g", schema, { ngf: 2.5 }),
    /"ngf" must be an integer: current value is 2.5/,
  );
  assert.throws(() => resolveOptions("g", schema, { lr: "fast" }), /"lr" must be a number/);
  assert.throws(
    () => resolveOptions("g", schema, { norm: "layer" }),
    /"norm" must be one of "instance", "batch": current value is "layer"/,
  );
  assert.throws(() => resolveOptions("g", schema, { no_flip: 1 }), /"no_flip" must be true or false/);
  assert.throws(() => resolveOptions("g", schema, { name: 3 }), /"name" must be a string/);
});

Deno.test("diffFromDefaults() lists only changed options", () => {
  assert.deepEqual(diffFromDefaults(schema, resolveOptions("g", schema, { ngf: 32 })), { ngf: 32 });
});

Deno.test("closest() suggests near misses only", () => {
  assert.equal(closest("label_ncc", ["label_nc", "ngf"]), "label_nc");
  assert.equal(closest("zzzzzz", ["label_nc", "ngf"]), undefined);
});

Deno.test("a list option defaults to a fresh empty list, takes a string or strings, and rejects anything else", () => {
  const lists = defineSchema({ plugin: { type: "list", default: [], doc: "plugin modules" } });
  const a = resolveOptions("cmd", lists), b = resolveOptions("cmd", lists);
  assert.equal(a.plugin.length, 0);
  a.plugin.push("x.ts");
  assert.deepEqual(b.plugin, [], "each resolution gets its own list");
  assert.deepEqual(resolveOptions("cmd", lists, { plugin: "a.ts" }).plugin, ["a.ts"]);
  assert.deepEqual(resolveOptions("cmd", lists, { plugin: ["a.ts", "b.ts"] }).plugin, ["a.ts", "b.ts"]);
  assert.throws(() => resolveOptions("cmd", lists, { plugin: [1] }), /"plugin" must be a list of strings/);
  assert.deepEqual(diffFromDefaults(lists, resolveOptions("cmd", lists)), {});
  assert.deepEqual(diffFromDefaults(lists, resolveOptions("cmd", lists, { plugin: "a.ts" })), {
    plugin: ["a.ts"],
  });
});

Deno.test("pick() takes the named options in the order given, the same declarations", () => {
  const picked = pick(schema, "norm", "ngf");
  assert.deepEqual(Object.keys(picked), ["norm", "ngf"]);
  assert.equal(picked.ngf, schema.ngf);
  assert.deepEqual(resolveOptions("t", picked, { ngf: "32" }), { norm: "instance", ngf: 32 });
});
