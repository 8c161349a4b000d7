import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;

Deno.test("the README's pipeline example runs as written and writes its report", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const block = /```ts\n(import \{ pipeline \} from "\.\/mod\.ts";[\s\S]*?)```/.exec(readme);
  assert.ok(block, "README has the pipeline example");
  const out = await Deno.makeTempDir();
  const file = `${root}.readme_example_${crypto.randomUUID()}.ts`;
  await Deno.writeTextFile(file, block[1].replace('"results/dsl"', JSON.stringify(out)));
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", file],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.equal(new TextDecoder().decode(run.stdout).trim(), `${out}/index.html`);
    const html = await Deno.readTextFile(`${out}/index.html`);
    assert.equal([...html.matchAll(/<img src="images\/[^"]+_synthesized_image\.png"/g)].length, 15);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("the README's 'Writing a plugin' shows the whole example plugin file, as it is", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const example = await Deno.readTextFile(`${root}plugins/examples/paired_folder.ts`);
  const section = readme.slice(readme.indexOf("## Writing a plugin"), readme.indexOf("## Layout"));
  assert.ok(section.includes("```ts\n" + example + "```"), "README shows plugins/examples/paired_folder.ts");
  assert.match(
    section,
    /deno task train --plugin plugins\/examples\/paired_folder\.ts --dataset paired-folder/,
  );
});
