/**
 * Executes every notebook in notebooks/ headlessly with Deno's Jupyter kernel through nbconvert (with
 * notebooks/harness/deno_execute.py, which keeps outputs the Deno kernel publishes after "idle"), and
 * fails when a cell errors or when a cell whose metadata says `{"p2phd": {"expects": "image"}}` shows
 * no image/png. Needs Jupyter and the Deno kernel; without them the tests fail saying how to install.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
const NOTEBOOKS = join(ROOT, "notebooks");
const HARNESS = join(NOTEBOOKS, "harness");
const INSTALL = "apt-get install -y jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel " +
  "&& deno jupyter --install";

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { p2phd?: { expects?: string } };
  outputs?: { output_type: string; data?: Record<string, unknown>; ename?: string; evalue?: string }[];
}

async function capture(cmd: string, args: string[], env: Record<string, string> = {}) {
  try {
    const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (error) {
    return { code: -1, stdout: "", stderr: (error as Error).message };
  }
}

/** Fails, with the install command, unless nbconvert and the "deno" kernel are installed. */
async function checkTooling(): Promise<void> {
  const nbconvert = await capture("jupyter", ["nbconvert", "--version"]);
  if (nbconvert.code !== 0) {
    assert.fail(
      `jupyter nbconvert is not installed (${nbconvert.stderr.trim().split("\n")[0]}); install: ${INSTALL}`,
    );
  }
  const specs = await capture("jupyter", ["kernelspec", "list", "--json"]);
  if (specs.code !== 0 || !("deno" in (JSON.parse(specs.stdout).kernelspecs ?? {}))) {
    assert.fail(`the Deno Jupyter kernel is not installed; install: ${INSTALL}`);
  }
}

function cellLabel(cell: Cell, index: number): string {
  const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  return `cell ${index} (${source.trim().split("\n")[0].slice(0, 60)})`;
}

/**
 * Runs a notebook through nbconvert into `outDir` and lists what went wrong.
 *
 * @returns problems: the failing cell and its error, or each expected image that is missing
 */
async function executeNotebook(path: string, outDir: string): Promise<string[]> {
  const run = await capture("jupyter", [
    "nbconvert",
    "--to",
    "notebook",
    "--NotebookExporter.preprocessors=deno_execute.DenoExecutePreprocessor",
    "--DenoExecutePreprocessor.enabled=True",
    "--DenoExecutePreprocessor.timeout=300",
    "--output-dir",
    outDir,
    path,
  ], { PYTHONPATH: HARNESS, PYTHONDONTWRITEBYTECODE: "1" });
  if (run.code !== 0) {
    const at = run.stderr.indexOf("CellExecutionError");
    const detail = at >= 0 ? run.stderr.slice(at) : run.stderr.trim().split("\n").slice(-15).join("\n");
    return [`nbconvert failed (exit ${run.code}):\n${detail}`];
  }
  const executed = JSON.parse(await Deno.readTextFile(join(outDir, basename(path)))) as { cells: Cell[] };
  const problems: string[] = [];
  executed.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") problems.push(`${cellLabel(cell, i)}: ${out.ename}: ${out.evalue}`);
    }
    const expects = cell.metadata?.p2phd?.expects;
    if (expects === "image" && !(cell.outputs ?? []).some((o) => o.data && "image/png" in o.data)) {
      problems.push(`${cellLabel(cell, i)}: expected an image/png output, got none`);
    }
  });
  return problems;
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "notebooks_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const notebooks = [...Deno.readDirSync(NOTEBOOKS)]
  .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
  .map((e) => e.name)
  .sort();

Deno.test("notebooks/ holds at least the quickstart", () => {
  assert.ok(notebooks.includes("quickstart.ipynb"), `found: ${notebooks.join(", ") || "none"}`);
});

for (const name of notebooks) {
  Deno.test(`notebook ${name} runs without errors and shows every expected image`, async () => {
    await checkTooling();
    const problems = await withTempDir((dir) => executeNotebook(join(NOTEBOOKS, name), dir));
    assert.deepEqual(problems, [], problems.join("\n"));
  });
}

Deno.test("the harness reports a missing expected image and a failing cell", async () => {
  await checkTooling();
  const cell = (source: string, expects?: string): Cell => ({
    cell_type: "code",
    source,
    metadata: expects ? { p2phd: { expects } } : {},
    outputs: [],
  });
  const notebook = (cells: Cell[]) =>
    JSON.stringify({
      cells: cells.map((c, i) => ({ ...c, id: `c${i}`, execution_count: null })),
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    });
  await withTempDir(async (dir) => {
    const noImage = join(dir, "no_image.ipynb");
    await Deno.writeTextFile(noImage, notebook([cell("1 + 1", "image")]));
    assert.deepEqual(await executeNotebook(noImage, join(dir, "out")), [
      "cell 0 (1 + 1): expected an image/png output, got none",
    ]);
    const failing = join(dir, "failing.ipynb");
    await Deno.writeTextFile(
      failing,
      notebook([cell("const x = 1;"), cell('throw new Error("broken cell")')]),
    );
    const problems = await executeNotebook(failing, join(dir, "out"));
    assert.equal(problems.length, 1);
    assert.match(
      problems[0],
      /nbconvert failed[\s\S]*throw new Error\("broken cell"\)[\s\S]*Error: broken cell/,
    );
  });
});
