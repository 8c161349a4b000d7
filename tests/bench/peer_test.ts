import assert from "node:assert/strict";
import { join } from "node:path";
import { parseForwardCase } from "../../bench/cases.ts";
import { checkPeer, PEER_SCRIPT, PeerError, runPeerCase } from "../../bench/peer.ts";

/** A Python for the tests: P2PHD_PYTHON, else python3 on PATH; null when none starts. */
async function findPython(): Promise<string | null> {
  const python = Deno.env.get("P2PHD_PYTHON") ?? "python3";
  try {
    const out = await new Deno.Command(python, { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
    return out.success ? python : null;
  } catch {
    return null;
  }
}

/** Whether `python` imports torch and torchvision. */
async function hasTorch(python: string): Promise<boolean> {
  const out = await new Deno.Command(python, {
    args: ["-c", "import torch, torchvision"],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

const python = await findPython();
const officialRepo = Deno.env.get("P2PHD_OFFICIAL_REPO") ?? Deno.env.get("P2PHD_REPO") ?? null;
const torch = python !== null && await hasTorch(python);
const realPeerSkip = python === null
  ? "no python3"
  : !torch
  ? `${python} has no torch (set P2PHD_PYTHON)`
  : officialRepo === null
  ? "P2PHD_OFFICIAL_REPO is not set"
  : null;

async function peerScript(args: string[]): Promise<{ code: number; answer: Record<string, unknown> }> {
  const out = await new Deno.Command(python!, {
    args: [PEER_SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { code: out.code, answer: JSON.parse(lines.at(-1)!) };
}

Deno.test({
  name: `the peer script answers one JSON error line and exits 2 on bad arguments, before importing torch${
    python === null ? " (skipped: no python3)" : ""
  }`,
  ignore: python === null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const noRepo = await peerScript(["--official_repo", dir, "--kind", "forward"]);
      assert.equal(noRepo.code, 2);
      assert.equal(noRepo.answer.ok, false);
      assert.match(String(noRepo.answer.error), /--official_repo .*: no models\/networks\.py there/);
      await Deno.mkdir(join(dir, "models"));
      await Deno.writeTextFile(join(dir, "models", "networks.py"), "");
      const badSize = await peerScript([
        "--official_repo",
        dir,
        "--kind",
        "forward",
        "--netG",
        "local",
        "--width",
        "48",
      ]);
      assert.equal(badSize.code, 2);
      assert.match(
        String(badSize.answer.error),
        /--width 48 --height 256: both must be positive multiples of 32/,
      );
      const noKind = await peerScript(["--official_repo", dir]);
      assert.equal(noKind.code, 2);
      assert.match(String(noKind.answer.error), /give --kind forward\|train or --check/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `the real PyTorch peer times the official generator and reports its peak RSS${
    realPeerSkip ? ` (skipped: ${realPeerSkip})` : ""
  }`,
  ignore: realPeerSkip !== null,
  async fn() {
    const config = { python: python!, officialRepo: officialRepo!, threads: 1 };
    const facts = await checkPeer(config);
    assert.match(facts.torch, /^\d+\.\d+/);
    assert.equal(facts.threads, 1);
    const timing = await runPeerCase(config, parseForwardCase("local-ngf2-64x64"), 2);
    assert.ok(!("error" in timing), JSON.stringify(timing));
    assert.equal(timing.times.length, 2);
    assert.ok(timing.seconds > 0 && timing.firstSeconds > 0);
    assert.ok(timing.peakRssBytes! > 50 * 2 ** 20, `${timing.peakRssBytes} bytes`);
  },
});

Deno.test({
  name: `a Python without torch is a PeerError saying how to install it${
    python === null || torch ? " (skipped: needs a python3 without torch)" : ""
  }`,
  ignore: python === null || torch,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(join(dir, "models"));
      await Deno.writeTextFile(join(dir, "models", "networks.py"), "");
      await assert.rejects(
        checkPeer({ python: python!, officialRepo: dir, threads: 1 }),
        (e: Error) =>
          e instanceof PeerError && /cannot import torch.*apt-get install python3-torch/.test(e.message),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
