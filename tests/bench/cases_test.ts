import assert from "node:assert/strict";
import {
  estimateGmac,
  NET_CASES,
  NET_QUICK_CASES,
  parseForwardCase,
  parseTrainCase,
  PYTORCH_REFERENCE,
  TRAIN_CASES,
  TRAIN_QUICK_CASES,
} from "../../bench/cases.ts";

Deno.test("forward case names give the official generators' ngf unless the name says another", () => {
  assert.deepEqual(parseForwardCase("global-512x256"), {
    kind: "forward",
    name: "global-512x256",
    netG: "global",
    ngf: 64,
    width: 512,
    height: 256,
  });
  assert.equal(parseForwardCase("local-2048x1024").ngf, 32);
  assert.equal(parseForwardCase("local-2048x1024").netG, "local");
  assert.equal(parseForwardCase("global-ngf4-64x32").ngf, 4);
});

Deno.test("a case name of another form or with sides that do not divide is a RangeError naming it", () => {
  assert.throws(() => parseForwardCase("global512x256"), /case "global512x256": expected global\|local/);
  assert.throws(() => parseForwardCase("local-1008x512"), /case "local-1008x512": .*multiples of 32/);
  assert.throws(() => parseForwardCase("global-ngf0-64x32"), /ngf must be ≥ 1/);
  assert.throws(() => parseTrainCase("ngf32-250x128"), /case "ngf32-250x128": .*multiples of 16/);
  assert.throws(() => parseTrainCase("global-256x128"), /expected ngfN-WxH/);
});

Deno.test("every default, quick and reference case name parses", () => {
  for (const name of [...NET_CASES, ...NET_QUICK_CASES]) parseForwardCase(name);
  for (const name of [...TRAIN_CASES, ...TRAIN_QUICK_CASES]) parseTrainCase(name);
  for (const name of Object.keys(PYTORCH_REFERENCE.seconds)) {
    assert.ok(NET_CASES.includes(name) || TRAIN_CASES.includes(name), name);
  }
  assert.ok(NET_CASES.includes("local-2048x1024"), "the 1024p generator at full size is a default case");
  assert.match(PYTORCH_REFERENCE.date, /^\d{4}-\d{2}-\d{2}$/);
});

Deno.test("GMAC are the official code's counted MACs (generators) or within 3 % of them (training)", () => {
  const counted: [ReturnType<typeof parseForwardCase> | ReturnType<typeof parseTrainCase>, number][] = [
    [parseForwardCase("global-256x128"), 30.6],
    [parseForwardCase("global-1024x512"), 489.3],
    [parseForwardCase("global-ngf32-512x256"), 34.6],
    [parseForwardCase("local-512x256"), 46.7],
    [parseForwardCase("local-2048x1024"), 747.9],
    [parseTrainCase("ngf32-256x128"), 87],
    [parseTrainCase("ngf32-512x256"), 340],
    [parseTrainCase("ngf64-256x128"), 153],
    [parseTrainCase("ngf64-512x256"), 603],
  ];
  for (const [c, gmac] of counted) {
    const off = Math.abs(estimateGmac(c) / gmac - 1);
    assert.ok(
      off < (c.kind === "train" ? 0.03 : 0.002),
      `${c.name}: ${estimateGmac(c).toFixed(1)} vs ${gmac} GMAC`,
    );
  }
});
