import assert from "node:assert/strict";
import * as p2phd from "../mod.ts";

const root = new URL("../", import.meta.url).pathname;
const exported = new Set(Object.keys(p2phd));

/** The names in `{ … }` lists (`type` marks dropped, `as` renames resolved to the original name). */
function braceNames(list: string): string[] {
  return list.split(",").map((part) => part.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0])
    .filter(Boolean);
}

/** The names (values and types) a source imports from mod.ts. */
function importedFromMod(source: string): string[] {
  return [...source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"(?:\.\.?\/)+mod\.ts"/g)]
    .flatMap((m) => braceNames(m[1]));
}

/** Every name mod.ts exports, types included, read from its `export { … } from` lists. */
const declared = new Set(
  [...Deno.readTextFileSync(`${root}mod.ts`).matchAll(/export\s*(?:type\s*)?\{([^}]*)\}\s*from/g)]
    .flatMap((m) => braceNames(m[1])),
);

Deno.test("mod.ts exports what the notebooks, the README and the example plugin import from it", async () => {
  const sources: Array<[string, string]> = [];
  for (const entry of Deno.readDirSync(`${root}notebooks`)) {
    if (!entry.name.endsWith(".ipynb")) continue;
    const nb = JSON.parse(await Deno.readTextFile(`${root}notebooks/${entry.name}`));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code")
      .map((c: { source: string[] | string }) => [c.source].flat().join("")).join("\n");
    sources.push([entry.name, code]);
  }
  sources.push(["README.md", await Deno.readTextFile(`${root}README.md`)]);
  sources.push(["paired_folder.ts", await Deno.readTextFile(`${root}plugins/examples/paired_folder.ts`)]);
  let checked = 0;
  for (const [file, source] of sources) {
    for (const name of importedFromMod(source)) {
      assert.ok(declared.has(name), `${file} imports ${name} from mod.ts`);
      checked++;
    }
  }
  assert.ok(checked >= 30, `only ${checked} imports found: did the import pattern change?`);
});

Deno.test("mod.ts's export lists are what it exports at run time", () => {
  for (const name of exported) assert.ok(declared.has(name), name);
  assert.ok(
    declared.has("Raster") && declared.has("DatasetIndex") && declared.has("TrainHooks"),
    "types too",
  );
});

Deno.test("mod.ts exports the public API by area", () => {
  const publicNames = [
    // kernel
    "tf",
    "definePlugin",
    "defineSchema",
    "resolveOptions",
    "registry",
    "Registry",
    "loadPlugin",
    "pipeline",
    "Pipeline",
    "collate",
    "PipelineError",
    "OptionsError",
    "DataError",
    "CheckpointError",
    "selectBackend",
    "createLogger",
    "log",
    "disposeAll",
    // data
    "defineDataset",
    "datasetSchema",
    "alignedDataset",
    "cityscapesDataset",
    "ade20kDataset",
    "helenDataset",
    "boundaries",
    "oneHotTransform",
    "generatorInput",
    "readImageFile",
    "toLabelIds",
    "loadPalette",
    "encodePng",
    // networks, losses, optimizer
    "GlobalGenerator",
    "LocalEnhancer",
    "MultiscaleDiscriminator",
    "Encoder",
    "Module",
    "globalGeneratorPlugin",
    "ganLoss",
    "vggLoss",
    "Vgg19Features",
    "LOSSES",
    "Adam",
    "adamPlugin",
    // inference, features, editing, training, export
    "openGenerator",
    "Synthesizer",
    "clusterFeatures",
    "generateStage",
    "encodeFeatures",
    "kmeansCentres",
    "findClustersFile",
    "openEditor",
    "Scene",
    "loadScene",
    "train",
    "resolveTrainOptions",
    "exportWeights",
  ];
  for (const name of publicNames) assert.ok(exported.has(name), `${name} is exported`);
});

Deno.test("mod.ts does not export internals (plan drawing, file matching, row helpers, checkpoint naming, …)", () => {
  const internals = [
    "drawParams",
    "applyPlan",
    "planGeometry",
    "networkMultiple",
    "preprocessSchema",
    "stemKey",
    "listImages",
    "clusterRows",
    "instanceFeatureRows",
    "instanceExtents",
    "closest",
    "editDistance",
    "defaultsOf",
    "networkPath",
    "locateNetwork",
    "findNetwork",
    "checkGeneratorInput",
    "networkPlugins",
    "lossPlugins",
    "inferencePlugins",
    "loadTfjsNode",
    "ensureXdgRuntimeDir",
    "formatDuration",
    "liveTensors",
    "seedFor",
    "datasetOptionSchema",
    "readOptionsFor",
    "clustersToJson",
    "VGG19_HELP",
    "writeReport",
  ];
  const leaked = internals.filter((name) => exported.has(name));
  assert.deepEqual(leaked, [], `internals exported: ${leaked.join(", ")}`);
  assert.ok(exported.size <= 140, `${exported.size} names: is each new one public API?`);
});
