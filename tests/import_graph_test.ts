import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url).href;

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** The project's own modules reachable from `entries`, with the project modules each imports. */
async function importGraph(entries: string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const entry of entries) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: fileURLToPath(root),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    for (const m of info.modules) {
      if (!m.specifier.startsWith(root) || graph.has(m.specifier)) continue;
      const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .filter((s): s is string => !!s && s.startsWith(root));
      graph.set(m.specifier, [...new Set(deps)]);
    }
  }
  return graph;
}

/** The first import cycle found, as a list of modules, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (v: string): string[] | null => {
    state.set(v, "open");
    path.push(v);
    for (const w of graph.get(v) ?? []) {
      if (state.get(w) === "open") return [...path.slice(path.indexOf(w)), w];
      if (!state.has(w)) {
        const cycle = visit(w);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(v, "done");
    return null;
  };
  for (const v of graph.keys()) {
    if (!state.has(v)) {
      const cycle = visit(v);
      if (cycle) return cycle;
    }
  }
  return null;
}

Deno.test("the modules behind mod.ts and every recipe import one another without a cycle", async () => {
  const scripts = [...Deno.readDirSync(new URL("../scripts/", import.meta.url))]
    .filter((e) => e.isFile && e.name.endsWith(".ts")).map((e) => `scripts/${e.name}`);
  const graph = await importGraph(["mod.ts", ...scripts]);
  assert.ok(graph.size > 100, `read ${graph.size} modules`);
  const cycle = findCycle(graph);
  assert.equal(cycle, null, `import cycle: ${cycle?.map((s) => s.slice(root.length)).join(" → ")}`);
});

Deno.test("the cycle finder finds a cycle", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", []]]);
  assert.deepEqual(findCycle(graph), ["a", "b", "c", "a"]);
  assert.equal(findCycle(new Map([["a", ["b"]], ["b", []]])), null);
});
