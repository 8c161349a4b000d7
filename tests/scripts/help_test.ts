import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;
const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks;
const recipes = Object.entries(tasks).filter(([, cmd]) => cmd.startsWith("deno run -A scripts/"))
  .map(([name, cmd]) => [name, cmd.replace("deno run -A ", "")]);

Deno.test("every recipe task has generated --help with defaults and exits 0", async () => {
  assert.ok(recipes.length >= 10, `${recipes.length} recipes`);
  for (const [name, script] of recipes) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--help"],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `${name}: ${new TextDecoder().decode(out.stderr)}`);
    assert.match(text, /^Usage: /m, name);
  }
});

Deno.test("an unknown option of any recipe suggests the closest and exits 2", async () => {
  for (
    const [name, script] of recipes.filter(([n]) =>
      ["synth", "train", "demo", "doctor", "encode_features"].includes(n)
    )
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--bakend", "cpu"],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assert.equal(out.code, 2, name);
    assert.match(
      new TextDecoder().decode(out.stderr),
      /unknown option --bakend .*did you mean --backend\?/,
      name,
    );
  }
});
