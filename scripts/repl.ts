/**
 * `deno task repl [--backend NAME]`: Deno's REPL with the kernel, the plugins and helpers loaded
 * (scripts/repl_prelude.ts prints what is there). The backend is selected here first, so a backend that
 * cannot load is a one-line error before the prompt, then the REPL uses the one picked.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { defineCommand, main } from "../kernel/cli.ts";

/** The `repl` command. */
export const replCommand = defineCommand({
  name: "repl",
  description: "an interactive TypeScript session with pix2pixHD loaded",
  examples: ["deno task repl", "deno task repl --backend wasm"],
  async run(ctx) {
    const prelude = new URL("./repl_prelude.ts", import.meta.url).href;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "repl",
        "-A",
        `--config=${fileURLToPath(new URL("../deno.json", import.meta.url))}`,
        `--eval=await import(${JSON.stringify(prelude)});`,
      ],
      env: { P2PHD_BACKEND: ctx.backend?.name ?? "auto" },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  },
});

if (import.meta.main) await main(replCommand);
