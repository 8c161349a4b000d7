import assert from "node:assert/strict";
import { join } from "node:path";
import { parseForwardCase, parseTrainCase, PYTORCH_REFERENCE } from "../../bench/cases.ts";
import { PEER_SCRIPT, PeerError } from "../../bench/peer.ts";
import { formatReport, runSideBySide, type SideBySideReport } from "../../bench/side_by_side.ts";

/**
 * A stand-in for `--python`: a shell script that logs its arguments, then answers `--check` and each
 * case with `caseAnswer` (a JSON line, or anything else to test bad answers).
 */
async function mockPython(dir: string, check: string, caseAnswer: string, caseCode = 0): Promise<string> {
  const path = join(dir, "python");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
echo "$@" >> "${join(dir, "calls.log")}"
echo "mock peer: working" >&2
case "$*" in
  *--check*) echo '${check}' ;;
  *) echo 'noise before the answer'; echo '${caseAnswer}'; exit ${caseCode} ;;
esac
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

const CHECK_OK = '{"ok": true, "python": "3.0", "torch": "9.9", "torchvision": "0.0", "threads": 3}';
const CASE_OK =
  '{"ok": true, "seconds": 0.5, "times": [0.5], "first_seconds": 0.75, "peak_rss_bytes": 1073741824}';
const TINY = parseForwardCase("global-ngf2-64x32");

async function withMock<T>(
  check: string,
  answer: string,
  code: number,
  fn: (python: string, dir: string) => Promise<T>,
) {
  const dir = await Deno.makeTempDir();
  try {
    return await fn(await mockPython(dir, check, answer, code), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("each case runs ours in its own process, then the peer with the case's flags; rows hold both and the ratios", async () => {
  await withMock(CHECK_OK, CASE_OK, 0, async (python, dir) => {
    const peer = { python, officialRepo: "/official", threads: 3 };
    const report = await runSideBySide({
      kind: "nets",
      cases: [TINY],
      backends: ["cpu"],
      reps: 1,
      peer,
    });
    const calls = (await Deno.readTextFile(join(dir, "calls.log"))).trim().split("\n");
    assert.deepEqual(calls, [
      `${PEER_SCRIPT} --official_repo /official --threads 3 --check`,
      `${PEER_SCRIPT} --official_repo /official --threads 3 --kind forward --netG global --ngf 2 --width 64 --height 32 --warmup 1 --reps 1`,
    ]);
    assert.deepEqual(report.pytorch, {
      source: "peer",
      officialRepo: "/official",
      python: "3.0",
      torch: "9.9",
      torchvision: "0.0",
      threads: 3,
    });
    assert.equal(report.rows.length, 1);
    const [row] = report.rows;
    assert.equal(row.oursNote, null, row.oursNote ?? "");
    assert.equal(row.ours!.times.length, 1);
    assert.ok(row.ours!.peakRssBytes! > 10 * 2 ** 20, "ours' peak RSS comes from its own process");
    assert.deepEqual(row.pytorch, { seconds: 0.5, times: [0.5], firstSeconds: 0.75, peakRssBytes: 2 ** 30 });
    assert.equal(row.ratio, row.ours!.seconds / 0.5);
    assert.equal(row.rssRatio, row.ours!.peakRssBytes! / 2 ** 30);
  });
});

Deno.test("rounds run ours and the peer in turn; the ratio is the median round's, the times the rounds'", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // a peer whose machine slows down: 1 s, then 2 s, then 4 s per run
    const python = join(dir, "python");
    await Deno.writeTextFile(
      python,
      `#!/bin/sh
case "$*" in
  *--check*) echo '${CHECK_OK}'; exit 0 ;;
esac
n=$(cat "${join(dir, "n")}" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${join(dir, "n")}"
s=$((1 << (n - 1)))
printf '{"ok": true, "seconds": %s, "times": [%s], "first_seconds": %s, "peak_rss_bytes": %s}\\n' $s $s $s $((n * 1048576))
`,
    );
    await Deno.chmod(python, 0o755);
    const report = await runSideBySide({
      kind: "nets",
      cases: [TINY],
      backends: ["cpu"],
      reps: 1,
      rounds: 3,
      peer: { python, officialRepo: "/official", threads: 1 },
    });
    const [row] = report.rows;
    assert.equal(row.pytorchNote, null, row.pytorchNote ?? "");
    assert.equal(row.ours!.times.length, 3, "one timed run of ours per round");
    assert.deepEqual(row.pytorch!.times, [1, 2, 4]);
    assert.equal(row.pytorch!.seconds, 2, "the median round");
    assert.equal(row.pytorch!.peakRssBytes, 3 * 2 ** 20, "the highest peak");
    const expected = row.ours!.times.map((t, i) => t / [1, 2, 4][i]);
    assert.deepEqual(row.roundRatios, expected);
    assert.equal(row.ratio, [...expected].sort((a, b) => a - b)[1]);
    assert.match(formatReport(report), /rounds \d+\.\d\d× \d+\.\d\d× \d+\.\d\d×/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a peer that fails one case leaves a note on that row and ours' figures stand", async () => {
  const failed = '{"ok": false, "error": "forward case failed: RuntimeError: out of memory"}';
  await withMock(CHECK_OK, failed, 1, async (python) => {
    const peer = { python, officialRepo: "/official", threads: 1 };
    const report = await runSideBySide({
      kind: "nets",
      cases: [TINY],
      backends: ["cpu"],
      reps: 1,
      peer,
    });
    const [row] = report.rows;
    assert.ok(row.ours !== null);
    assert.equal(row.pytorch, null);
    assert.equal(row.ratio, null);
    assert.equal(row.pytorchNote, "PyTorch failed: forward case failed: RuntimeError: out of memory");
  });
});

Deno.test("a peer that cannot start stops the bench with its own reason before any case runs", async () => {
  const noTorch = '{"ok": false, "error": "python3 cannot import torch/torchvision"}';
  await withMock(noTorch, CASE_OK, 0, async (python, dir) => {
    const peer = { python, officialRepo: "/official", threads: 1 };
    await assert.rejects(
      runSideBySide({ kind: "nets", cases: [TINY], backends: ["cpu"], reps: 1, peer }),
      (e: Error) => e instanceof PeerError && e.message === "python3 cannot import torch/torchvision",
    );
    const calls = (await Deno.readTextFile(join(dir, "calls.log"))).trim().split("\n");
    assert.equal(calls.length, 1);
  });
});

Deno.test("an answer that is not JSON is a failed case naming the peer's last stderr line", async () => {
  await withMock(CHECK_OK, "Segmentation fault", 139, async (python) => {
    const peer = { python, officialRepo: "/official", threads: 1 };
    const report = await runSideBySide({
      kind: "nets",
      cases: [TINY],
      backends: [],
      reps: 1,
      peer,
    });
    assert.deepEqual(report.rows, [], "no backend loads: nothing runs");
    const { runPeerCase } = await import("../../bench/peer.ts");
    const timing = await runPeerCase(peer, TINY, 1);
    assert.deepEqual(timing, { error: "the PyTorch peer exited with code 139: mock peer: working" });
  });
});

Deno.test("without a peer the report names the dated reference, and cases it lacks say so", () => {
  const report: SideBySideReport = {
    kind: "nets",
    pytorch: { source: "reference", date: PYTORCH_REFERENCE.date, where: PYTORCH_REFERENCE.where },
    backends: ["onednn"],
    rows: [
      {
        case: "global-512x256",
        what: "global generator ngf 64, 512×256",
        backend: "onednn",
        ours: { seconds: 1.5, times: [1.5], firstSeconds: 2, peakRssBytes: 2 ** 31, threads: 2 },
        oursNote: null,
        pytorch: { seconds: 2 },
        pytorchNote: null,
        ratio: 0.75,
        roundRatios: [0.75],
        rssRatio: null,
        gmacs: 81.5,
      },
      {
        case: "local-2048x1024",
        what: "local enhancer ngf 32 (1 enhancer), 2048×1024",
        backend: "onednn",
        ours: null,
        oursNote: "failed: ours exited with code 134",
        pytorch: null,
        pytorchNote: "no reference for local-2048x1024",
        ratio: null,
        roundRatios: [],
        rssRatio: null,
        gmacs: null,
      },
    ],
  };
  const lines = formatReport(report).split("\n");
  assert.match(
    lines[0],
    new RegExp(`dated reference of ${PYTORCH_REFERENCE.date} .*not this machine or this run`),
  );
  assert.match(lines[0], /--peer pytorch --official_repo DIR/);
  assert.match(
    lines[2],
    /^global-512x256\s+onednn\s+1\.50\s+2\.00\s+2\.00\s+0\.75×\s+2\.00\s+-\s+-\s+81\.5$/,
  );
  assert.match(lines[3], /failed: ours exited with code 134; no reference for local-2048x1024$/);
});

Deno.test("the onnxruntime backend runs nets cases beside the peer, and is left out of training cases", async () => {
  await withMock(CHECK_OK, CASE_OK, 0, async (python) => {
    const peer = { python, officialRepo: "/official", threads: 3 };
    const report = await runSideBySide({
      kind: "nets",
      cases: [TINY],
      backends: ["onnxruntime"],
      reps: 1,
      peer,
    });
    assert.deepEqual(report.backends, ["onnxruntime"]);
    const [row] = report.rows;
    assert.equal(row.backend, "onnxruntime");
    assert.equal(row.oursNote, null, row.oursNote ?? "");
    assert.equal(row.ratio, row.ours!.seconds / 0.5);
  });
  const train = await runSideBySide({
    kind: "train",
    cases: [parseTrainCase("ngf2-32x32")],
    backends: ["onnxruntime"],
    reps: 1,
    peer: null,
  });
  assert.deepEqual([train.backends, train.rows], [[], []]);
});
