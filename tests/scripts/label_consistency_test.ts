import assert from "node:assert/strict";
import { runDeno } from "../_run_deno.ts";

const script = new URL("../../scripts/label_consistency.ts", import.meta.url).pathname;
const root = new URL("../../", import.meta.url).pathname;

async function labelConsistency(...args: string[]) {
  return await runDeno(["run", "-A", script, ...args], { cwd: root });
}

Deno.test("label_consistency scores the shipped model's test scenes between chance and real photos", async () => {
  const { code, stdout, stderr } = await labelConsistency("--width", "128", "--json", "--backend", "wasm");
  assert.equal(code, 0, stderr);
  const r = JSON.parse(stdout);
  assert.match(r.weights, /weights\/label2city_256p\/latest_net_G\.safetensors$/);
  assert.ok(r.classes_modelled.includes(7) && r.classes_modelled.includes(26), String(r.classes_modelled));
  assert.ok(r.classes_modelled.every((id: number) => id > 6), "void classes are not scored");
  const { test_synthesized: test, test_constant: chance, train_real_held_out: real } = r;
  assert.ok(test.pixels > 15 * 128 * 64 * 0.8, String(test.pixels));
  assert.ok(chance.mean_class_accuracy < 0.15, `chance ${chance.mean_class_accuracy}`);
  assert.ok(real.mean_class_accuracy > 2 * chance.mean_class_accuracy, `real ${real.mean_class_accuracy}`);
  assert.ok(test.mean_class_accuracy > chance.mean_class_accuracy, `test ${test.mean_class_accuracy}`);
});

Deno.test("label_consistency rejects a bad --ignore list in one line", async () => {
  const { code, stderr } = await labelConsistency("--ignore", "0,road");
  assert.equal(code, 2);
  assert.match(stderr, /--ignore must be comma-separated class ids: "road" is not one/);
});
