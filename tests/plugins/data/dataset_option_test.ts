import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../../kernel/cli.ts";
import { DataError } from "../../../kernel/errors.ts";
import { Registry } from "../../../kernel/registry.ts";
import {
  builtinDatasets,
  chooseDataset,
  datasetByName,
  detectDatasets,
  impliedOptions,
  resolveDataset,
} from "../../../plugins/data/dataset_option.ts";
import { BUNDLED, mapOf, writePng } from "./helpers.ts";
import { writeTinyAde20k, writeTinyHelen, writeTinyPairedFolder } from "./_layouts.ts";

const EXAMPLE = new URL("../../../plugins/examples/paired_folder.ts", import.meta.url).pathname;

function builtins(): Registry {
  const registry = new Registry();
  for (const d of builtinDatasets) registry.register(d);
  return registry;
}

async function cityscapesTree(): Promise<string> {
  const root = await Deno.makeTempDir();
  await writePng(
    join(root, "gtFine", "train", "aachen", "a_gtFine_labelIds.png"),
    4,
    2,
    mapOf(4, 2, () => 7),
  );
  return root;
}

Deno.test("each built-in dataset is detected from its release layout, and only it", async () => {
  const city = await cityscapesTree();
  const roots: Record<string, string> = {
    aligned: BUNDLED,
    cityscapes: city,
    ade20k: await writeTinyAde20k(1),
    helen: await writeTinyHelen(1),
  };
  for (const [name, root] of Object.entries(roots)) {
    assert.deepEqual(detectDatasets(root, "train", builtins()).map((d) => d.name), [name], root);
    assert.equal((await resolveDataset({ dataset: null, dataroot: root }, builtins())).name, name);
  }
  await Deno.remove(city, { recursive: true });
});

Deno.test("an unknown --dataset is one usage error naming it, the closest name and the registered ones", () => {
  assert.throws(
    () => datasetByName("ade2k", builtins()),
    (e: Error) =>
      e instanceof UsageError && !e.message.includes("\n") &&
      e.message ===
        'unknown dataset "ade2k" (did you mean "ade20k"?); registered datasets: ade20k, aligned, cityscapes, helen (load your own with --plugin PATH_OR_URL)',
  );
});

Deno.test("a folder in no known layout names the layouts looked for; a missing one says so", async () => {
  const empty = await Deno.makeTempDir();
  assert.throws(
    () => chooseDataset({ dataset: null, dataroot: empty }, builtins()),
    (e: Error) =>
      e instanceof DataError && e.message.includes("is not a known dataset layout") &&
      e.message.includes("train_label/") && e.message.includes("(helen)") &&
      e.message.includes("--dataset NAME"),
  );
  assert.throws(
    () => chooseDataset({ dataset: null, dataroot: join(empty, "nope") }, builtins()),
    /nope: does not exist/,
  );
  await Deno.remove(empty, { recursive: true });
});

Deno.test("--plugin loads a user's dataset plugin first, which is then detected and chosen by name", async () => {
  const registry = builtins();
  const root = await writeTinyPairedFolder(1);
  assert.throws(() => datasetByName("paired-folder", registry), /unknown dataset "paired-folder"/);
  const named = await resolveDataset(
    { dataset: "paired-folder", plugin: [EXAMPLE], dataroot: root },
    registry,
  );
  assert.equal(named.name, "paired-folder");
  assert.equal(await resolveDataset({ dataset: null, plugin: [EXAMPLE], dataroot: root }, registry), named);
  await assert.rejects(
    () => resolveDataset({ dataset: null, plugin: ["./no_such_plugin.ts"] }, registry),
    /Cannot load plugin module "\.\/no_such_plugin\.ts"/,
  );
});

Deno.test("a folder holding two layouts asks for --dataset", async () => {
  const root = await writeTinyAde20k(1);
  await Deno.mkdir(join(root, "labels"));
  assert.throws(
    () => chooseDataset({ dataset: null, dataroot: root }, builtins()),
    /several datasets \(ade20k, helen\): pass --dataset NAME/,
  );
});

Deno.test("a dataset implies its label_nc and no_instance only where the user gave none", () => {
  const [aligned, cityscapes, ade20k, helen] = ["aligned", "cityscapes", "ade20k", "helen"].map((n) =>
    datasetByName(n, builtins())
  );
  assert.deepEqual(impliedOptions(aligned, {}), {});
  assert.deepEqual(impliedOptions(cityscapes, {}), { label_nc: 35 });
  assert.deepEqual(impliedOptions(ade20k, {}), { label_nc: 151, no_instance: true });
  assert.deepEqual(impliedOptions(helen, { label_nc: 12 }), { no_instance: true });
  assert.deepEqual(impliedOptions(helen, { label_nc: 12, no_instance: true }), {});
});
