/**
 * What `deno task repl` loads before the prompt: the backend (from `P2PHD_BACKEND`, "auto" by
 * default), everything `mod.ts` exports — as globals and under `p2phd` — and the helpers of
 * `repl_helpers.ts`; then it prints a banner saying what is there. Importing it has these effects on
 * purpose; it is meant for `deno repl --eval`, not for programs.
 *
 * @module
 */
import * as p2phd from "../mod.ts";
import { loadScene, plugins, save, show } from "./repl_helpers.ts";

const backend = await p2phd.selectBackend(Deno.env.get("P2PHD_BACKEND") ?? "auto");
const globals = globalThis as unknown as Record<string, unknown>;
const exported = Object.keys(p2phd).sort();
const shadowed = exported.filter((name) => name in globals);
for (const name of exported) if (!shadowed.includes(name)) globals[name] = p2phd[name as keyof typeof p2phd];

/** The banner: what is loaded and how to use the helpers. */
function help(): void {
  console.log(
    [
      `pix2pixHD for Deno — backend ${backend.name} (${backend.reason})`,
      `The ${exported.length} names mod.ts exports are globals and under p2phd.* (type p2phd. and Tab to list them).`,
      ...(shadowed.length ? [`Only as p2phd.*, to keep the runtime's own: ${shadowed.join(", ")}`] : []),
      "Helpers:",
      '  const scene = await loadScene("datasets/cityscapes/test_label/x.png")  label (+ instance) map tensors',
      "  show(scene) / show(tensor)              picture in the terminal",
      '  await save(tensor, "out.png")           PNG (id maps keep their ids; { colors: true } for a picture)',
      `  plugins() / plugins("dataset")          registered plugins (${p2phd.registry.list().length} now)`,
      "  help()                                  this text",
    ].join("\n"),
  );
}

Object.assign(globals, { p2phd, loadScene, show, save, plugins, help });
help();
