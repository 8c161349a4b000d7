import assert from "node:assert/strict";
import {
  BUSY_SHARE,
  chooseWaitPolicy,
  othersBusyShare,
  parseCpuTicks,
  sampleOthersBusyShare,
  SPIN_COUNT,
} from "../../../backends/onednn/wait_policy.ts";

/** A stand-in for Deno.env holding the given variables. */
function fakeEnv(vars: Record<string, string> = {}) {
  const values = new Map(Object.entries(vars));
  return {
    get: (name: string) => values.get(name),
    set: (name: string, v: string) => void values.set(name, v),
    values,
  };
}

Deno.test("an idle machine gets spinning threads, a busy one sleeping threads, and a set environment is kept", () => {
  const idle = fakeEnv();
  const spin = chooseWaitPolicy(idle, () => 0.05);
  assert.equal(spin.kind, "spin");
  assert.equal(idle.values.get("GOMP_SPINCOUNT"), String(SPIN_COUNT));
  assert.equal(idle.values.get("OMP_WAIT_POLICY"), undefined);
  assert.equal(spin.text, "spinning between calls: other processes used 5% of the CPUs");

  const busy = fakeEnv();
  const sleep = chooseWaitPolicy(busy, () => BUSY_SHARE + 0.2);
  assert.equal(sleep.kind, "sleep");
  assert.equal(busy.values.get("OMP_WAIT_POLICY"), "passive");
  assert.equal(busy.values.get("GOMP_SPINCOUNT"), undefined);

  const unknown = fakeEnv();
  assert.equal(chooseWaitPolicy(unknown, () => null).kind, "sleep");
  assert.match(chooseWaitPolicy(fakeEnv(), () => null).text, /CPU load unknown/);

  const users = fakeEnv({ OMP_WAIT_POLICY: "active" });
  let sampled = false;
  const kept = chooseWaitPolicy(users, () => (sampled = true, 0));
  assert.equal(kept.kind, "environment");
  assert.equal(kept.text, "waiting as OMP_WAIT_POLICY=active says");
  assert.deepEqual([...users.values], [["OMP_WAIT_POLICY", "active"]]);
  assert.equal(sampled, false, "no sampling when the user chose");
});

Deno.test("CPU counters: others' share excludes idle, iowait and this process's own time", () => {
  const stat = (user: number, idle: number) =>
    `cpu  ${user} 0 100 ${idle} 10 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 2\n`;
  const self = (ticks: number) => `4242 (deno (main)) R 1 2 3 4 5 6 7 8 9 10 ${ticks} 0 0 0 20 0`;
  const before = parseCpuTicks(stat(1000, 5000), self(300));
  const after = parseCpuTicks(stat(1100, 5080), self(340));
  assert.deepEqual(before, { total: 6110, idle: 5010, self: 300 });
  // 180 ticks passed: 80 idle, 40 ours, 60 others'
  assert.equal(othersBusyShare(before!, after!), 60 / 180);
  assert.equal(othersBusyShare(after!, after!), 0);
  assert.equal(parseCpuTicks("nothing", self(1)), null);
  assert.equal(parseCpuTicks(stat(1, 1), "4242 (deno) R 1"), null);
});

Deno.test({
  name: "the sampler sees another process keeping a CPU busy",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const hog = new Deno.Command("sh", { args: ["-c", "while :; do :; done"], stdout: "null" }).spawn();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const share = sampleOthersBusyShare();
      assert.ok(share !== null);
      // one busy process on this machine's cores (2 here): ≥ 1/cores minus sampling slack
      assert.ok(share >= 0.8 / navigator.hardwareConcurrency, `others' share ${share}`);
    } finally {
      hog.kill("SIGKILL");
      await hog.status;
    }
  },
});
