import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;

/** Runs a deno subcommand in the project root; returns its exit code and output. */
async function deno(...args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  return { code, output: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test("deno lint finds nothing (no-slow-types is off: the package is not published to JSR)", async () => {
  const { code, output } = await deno("lint");
  assert.equal(code, 0, output);
});

Deno.test("deno fmt --check finds every file formatted", async () => {
  const { code, output } = await deno("fmt", "--check");
  assert.equal(code, 0, output);
});
