import assert from "node:assert/strict";
import { join } from "node:path";
import { sideBySidePlan } from "../../scripts/bench.ts";
import { NET_CASES, NET_QUICK_CASES } from "../../bench/cases.ts";

/** A folder that looks like an official checkout (models/networks.py). */
async function fakeOfficialRepo(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "models"));
  await Deno.writeTextFile(join(dir, "models", "networks.py"), "");
  return dir;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs `deno run -A scripts/bench.ts argv…` as a user would. */
async function bench(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/bench.ts", ...argv],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, out: text(out.stdout), err: text(out.stderr) };
}

Deno.test("flags of the peer that do not fit together exit 2 with one line naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["nets", "--peer", "pytorch"], /--peer pytorch needs --official_repo DIR/],
    [["train", "--official_repo", "/x"], /--official_repo is for the peer: add --peer pytorch/],
    [["nets", "--python", "/usr/bin/python3"], /--python is for the peer: add --peer pytorch/],
    [
      ["nets", "--peer", "pytorch", "--official_repo", "/nonexistent"],
      /--official_repo \/nonexistent: no models\/networks\.py/,
    ],
    [["nets", "--peer", "torch"], /"peer" must be one of "none", "pytorch".*did you mean "pytorch"/],
    [["nets", "--quick", "--cases", "global-256x128"], /give --quick or --cases, not both/],
    [
      ["nets", "--cases", "local-1000x500"],
      /case "local-1000x500": .*multiples of 32; see nets --help/,
    ],
    [["train", "--cases", "global-256x128"], /case "global-256x128": expected ngfN-WxH/],
    [["nets", "--backends", ","], /--backends: give at least one backend/],
  ];
  const results = await Promise.all(cases.map(([argv]) => bench(argv)));
  for (const [i, [argv, message]] of cases.entries()) {
    const r = results[i];
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
    assert.match(r.err, message, argv.join(" "));
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
    assert.equal(r.out, "");
  }
});

Deno.test("a --python that cannot start exits 1 saying how to get one, before any case runs", async () => {
  const repo = await fakeOfficialRepo();
  try {
    const r = await bench([
      "nets",
      "--quick",
      "--peer",
      "pytorch",
      "--official_repo",
      repo,
      "--python",
      "/no/python",
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /--python \/no\/python: cannot run it .*apt-get install python3-torch python3-torchvision/,
    );
    assert.equal(r.out, "");
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("--quick runs the smallest cases once; typed --reps and --peer_threads win", () => {
  const flags = {
    backends: "onednn,wasm",
    cases: null,
    quick: true,
    reps: 3,
    rounds: 1,
    peer: "none" as const,
    official_repo: null,
    python: "python3",
    peer_threads: null,
  };
  const defaults = { name: "nets", cases: NET_CASES, quick: NET_QUICK_CASES };
  const quick = sideBySidePlan(flags, new Set(["quick"]), defaults);
  assert.deepEqual(quick, {
    cases: NET_QUICK_CASES,
    backends: ["onednn", "wasm"],
    reps: 1,
    rounds: 1,
    peer: null,
  });
  assert.throws(
    () => sideBySidePlan({ ...flags, rounds: 3 }, new Set(["rounds"]), defaults),
    /--rounds is for the peer: add --peer pytorch/,
  );
  assert.equal(sideBySidePlan(flags, new Set(["quick", "reps"]), defaults).reps, 3);
  const full = sideBySidePlan({ ...flags, quick: false }, new Set(), defaults);
  assert.deepEqual(full.cases, NET_CASES);
  assert.equal(full.reps, 3);
});

Deno.test("the peer gets every core's worth of torch threads unless --peer_threads says otherwise", async () => {
  const repo = await fakeOfficialRepo();
  try {
    const flags = {
      backends: "onednn",
      cases: "local-2048x1024",
      quick: false,
      reps: 2,
      rounds: 3,
      peer: "pytorch" as const,
      official_repo: repo,
      python: "/usr/bin/python3",
      peer_threads: null,
    };
    const defaults = { name: "nets", cases: NET_CASES, quick: NET_QUICK_CASES };
    const plan = sideBySidePlan(flags, new Set(["peer", "official_repo", "python"]), defaults);
    assert.deepEqual(plan.peer, {
      python: "/usr/bin/python3",
      officialRepo: repo,
      threads: navigator.hardwareConcurrency,
    });
    assert.deepEqual(plan.cases, ["local-2048x1024"]);
    assert.equal(plan.rounds, 3);
    assert.equal(sideBySidePlan({ ...flags, peer_threads: 1 }, new Set(), defaults).peer!.threads, 1);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("without a peer, bench nets --json prints ours and where PyTorch's figures come from", async () => {
  const r = await bench([
    "nets",
    "--backends",
    "cpu",
    "--cases",
    "global-ngf2-64x32",
    "--reps",
    "1",
    "--json",
  ]);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.pytorch.source, "reference");
  assert.match(report.pytorch.date, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(report.rows.length, 1);
  assert.equal(report.rows[0].backend, "cpu");
  assert.ok(report.rows[0].ours.seconds > 0);
  assert.equal(report.rows[0].pytorchNote, "no reference for global-ngf2-64x32");
});
