import assert from "node:assert/strict";
import { join } from "node:path";
import { OptionsError } from "../../../kernel/errors.ts";
import {
  checkpointsWithGenerator,
  findNetwork,
  locateBeside,
  locateNetwork,
  networkOfPath,
  networkPath,
  officialNetworkPath,
} from "../../../plugins/checkpoints/files.ts";

Deno.test("findNetwork() prefers our .safetensors to the official .pth, and says null when neither exists", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(findNetwork(dir, "latest", "G"), null);
  await Deno.writeFile(officialNetworkPath(dir, "latest", "G"), new Uint8Array(1));
  assert.equal(findNetwork(dir, "latest", "G"), join(dir, "latest_net_G.pth"));
  await Deno.writeFile(networkPath(dir, "latest", "G"), new Uint8Array(1));
  assert.equal(findNetwork(dir, "latest", "G"), join(dir, "latest_net_G.safetensors"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("locateNetwork() and locateBeside() errors name the asking command, the paths tried and what to do", async () => {
  const root = await Deno.makeTempDir();
  assert.throws(
    () => locateNetwork(root, "run", "10", "G", { command: "studio", instead: "pass --model DIR" }),
    (e: unknown) =>
      e instanceof OptionsError && e.message.startsWith("Cannot configure studio") &&
      e.message.includes(join(root, "run", "10_net_G.safetensors")) && e.message.includes("pass --model DIR"),
  );
  await Deno.mkdir(join(root, "run"));
  await Deno.writeFile(networkPath(join(root, "run"), "10", "G"), new Uint8Array(1));
  const g = locateNetwork(root, "run", "10", "G", { command: "synth" });
  assert.throws(
    () => locateBeside(g, "10", "E", { command: "synth", instead: "pass --encoder <file>" }),
    /finds no encoder weights: neither .*10_net_E\.safetensors nor .*10_net_E\.pth exists; pass --encoder <file>/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("checkpoint names: the network of a file, and the checkpoints of a folder that have a generator", () => {
  assert.equal(networkOfPath(networkPath("checkpoints/run", "latest", "G")), "G");
  assert.equal(networkOfPath("/x/10_net_E.pth"), "E");
  assert.equal(networkOfPath("/x/G_global.pth"), null);
  assert.deepEqual(
    checkpointsWithGenerator([
      "latest_net_G.pth",
      "10_net_G.safetensors",
      "10_net_D.safetensors",
      "latest_net_G.safetensors",
      "x.png",
    ]),
    ["10", "latest"],
  );
});
