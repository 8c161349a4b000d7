import assert from "node:assert/strict";
import { DNNL } from "../../../backends/onednn/ffi.ts";
import type { ConvKind, ConvSpec } from "../../../backends/onednn/conv_desc.ts";
import { createConvVariant } from "../../../backends/onednn/conv_variant.ts";
import {
  createConvPrimitive,
  MAX_CANDIDATES,
  TRIALS_PER_VARIANT,
  TUNING_CALLS,
  variantTrial,
  WARMUP_CALLS_PER_VARIANT,
} from "../../../backends/onednn/conv_primitive.ts";
import { assertClose, ctx, ONEDNN, seeded } from "./conv_helpers.ts";

function spec(
  kind: ConvKind,
  k: number,
  stride: number,
  pad: number,
  extra: Partial<ConvSpec> = {},
): ConvSpec {
  const [inHeight, inWidth, inChannels, outChannels] = [12, 10, 6, 7];
  const out = (n: number) => Math.floor((n + 2 * pad - k) / stride) + 1;
  return {
    kind,
    batch: 2,
    inHeight,
    inWidth,
    inChannels,
    outHeight: out(inHeight),
    outWidth: out(inWidth),
    outChannels,
    filterHeight: k,
    filterWidth: k,
    strideHeight: stride,
    strideWidth: stride,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: pad,
    padBottom: pad,
    padLeft: pad,
    padRight: pad,
    bias: false,
    activation: "linear",
    leakyreluAlpha: 0,
    ...extra,
  };
}

/** Input buffers (seeded) and a zeroed output, in the variant's pointer order. */
function buffers(s: ConvSpec): { inputs: Float32Array[]; output: Float32Array } {
  const x = s.batch * s.inHeight * s.inWidth * s.inChannels;
  const y = s.batch * s.outHeight * s.outWidth * s.outChannels;
  const w = s.filterHeight * s.filterWidth * s.inChannels * s.outChannels;
  if (s.kind === "forward") {
    const inputs = [seeded(x, 1), seeded(w, 2), ...(s.bias ? [seeded(s.outChannels, 3)] : [])];
    return { inputs, output: new Float32Array(y) };
  }
  if (s.kind === "backward_data") {
    return { inputs: [seeded(y, 4), seeded(w, 5)], output: new Float32Array(x) };
  }
  return { inputs: [seeded(x, 6), seeded(y, 7)], output: new Float32Array(w) };
}

const SPECS: [string, ConvSpec][] = [
  [
    "forward 3x3 s2 pad 1 with bias and leaky relu",
    spec("forward", 3, 2, 1, { bias: true, activation: "leakyrelu", leakyreluAlpha: 0.2 }),
  ],
  ["forward 7x7 s1 valid", spec("forward", 7, 1, 0)],
  ["backward_data 4x4 s2 pad 2", spec("backward_data", 4, 2, 2)],
  ["backward_data 3x3 s1 pad 1", spec("backward_data", 3, 1, 1)],
  ["backward_weights 4x4 s2 pad 2", spec("backward_weights", 4, 2, 2)],
  ["backward_weights 3x3 s1 pad 1", spec("backward_weights", 3, 1, 1)],
];

/**
 * Backward passes with channels in multiples of 16, where oneDNN chooses blocked activations when let
 * (its forward `brgconv` keeps NHWC).
 */
const WIDE: [string, ConvSpec][] = (["backward_data", "backward_weights"] as const).map((kind) => [
  `${kind} 3x3 s1 pad 1, 128 -> 144 channels`,
  spec(kind, 3, 1, 1, { inChannels: 128, outChannels: 144 }),
]);

for (const [name, s] of WIDE) {
  Deno.test({
    name: `onednn ${name}: the variant with reordered activations agrees with the in-place one`,
    ignore: !ONEDNN.ok,
    fn: () => {
      const { inputs, output } = buffers(s);
      const run = (weightsTag: number, activationsTag: number) => {
        const variant = createConvVariant(ctx(), s, weightsTag, activationsTag);
        try {
          const out = output.slice();
          variant.execute([...inputs, out].map((a) => Deno.UnsafePointer.of(a)));
          return { out, variant: { ...variant } };
        } finally {
          variant.dispose();
        }
      };
      const blocked = run(DNNL.tag_any, DNNL.tag_any), inPlace = run(DNNL.tag_hwio, DNNL.tag_nhwc);
      assert.ok(blocked.variant.reordersActivations, `${blocked.variant.impl} keeps NHWC activations`);
      assert.equal(inPlace.variant.reordersActivations, false);
      assertClose(blocked.out, inPlace.out, name);
    },
  });
}

for (const [name, s] of SPECS) {
  Deno.test({
    name: `onednn ${name}: the reordering and the in-place filter variants agree`,
    ignore: !ONEDNN.ok,
    fn: () => {
      const { inputs, output } = buffers(s);
      const results = [DNNL.tag_any, DNNL.tag_hwio].map((tag) => {
        const variant = createConvVariant(ctx(), s, tag);
        try {
          const out = output.slice();
          variant.execute([...inputs, out].map((a) => Deno.UnsafePointer.of(a)));
          return { out, reorders: variant.reordersWeights };
        } finally {
          variant.dispose();
        }
      });
      assert.equal(results[1].reorders, false, "the hwio variant uses the filter in place");
      assertClose(results[1].out, results[0].out, name);
    },
  });
}

Deno.test({
  name: "onednn conv variants keep their reordered filter and scratchpad in a workspace the caller lends",
  ignore: !ONEDNN.ok,
  fn: () => {
    for (const [name, s] of [...SPECS, ...WIDE]) {
      const { inputs, output } = buffers(s);
      const filterBytes = 4 * s.filterHeight * s.filterWidth * s.inChannels * s.outChannels;
      const layouts = [[DNNL.tag_any, DNNL.tag_nhwc], [DNNL.tag_hwio, DNNL.tag_nhwc], [
        DNNL.tag_any,
        DNNL.tag_any,
      ]];
      for (const [weightsTag, activationsTag] of layouts) {
        const variant = createConvVariant(ctx(), s, weightsTag, activationsTag);
        try {
          const label = `${name} ${variant.impl}`;
          const own = output.slice(), lent = output.slice();
          variant.execute([...inputs, own].map((a) => Deno.UnsafePointer.of(a)));
          const workspace = new Uint8Array(variant.workspaceBytes).fill(0xff);
          variant.execute(
            [...inputs, lent, ...(workspace.length ? [workspace] : [])].map((a) => Deno.UnsafePointer.of(a)),
          );
          assert.deepEqual(new Uint32Array(lent.buffer), new Uint32Array(own.buffer), `${label}: same bits`);
          if (variant.reordersWeights) {
            assert.ok(
              variant.workspaceBytes >= filterBytes,
              `${label}: the reordered filter is in the workspace`,
            );
            assert.ok(workspace.some((b) => b !== 0xff), `${label}: the lent workspace was written`);
          }
          if (variant.reordersActivations) {
            const activationBytes = 4 * s.batch * s.inHeight * s.inWidth * s.inChannels;
            assert.ok(variant.workspaceBytes >= activationBytes, `${label}: x or dx is in the workspace`);
          }
          if (variant.impl.includes("gemm")) {
            assert.ok(variant.workspaceBytes > 0, `${label}: the im2col scratchpad is in the workspace`);
          }
        } finally {
          variant.dispose();
        }
      }
    }
  },
});

Deno.test({
  name: "onednn backward passes also try the matmul over their patches; forward passes do not",
  ignore: !ONEDNN.ok,
  fn: () => {
    for (const [name, s] of SPECS) {
      const primitive = createConvPrimitive(ctx(), s);
      try {
        assert.equal(
          primitive.impl.includes("patches+matmul"),
          s.kind !== "forward",
          `${name}: ${primitive.impl}`,
        );
      } finally {
        primitive.dispose();
      }
    }
  },
});

Deno.test({
  name: "onednn primitive times its variants on the first calls, then keeps one, with the same results",
  ignore: !ONEDNN.ok,
  fn: () => {
    const s = spec("backward_weights", 3, 1, 1);
    const primitive = createConvPrimitive(ctx(), s);
    try {
      const tuning = primitive.impl.startsWith("tuning");
      const { inputs, output } = buffers(s);
      const first = output.slice();
      primitive.execute([...inputs, first].map((a) => Deno.UnsafePointer.of(a)));
      for (let i = 1; i <= TUNING_CALLS; i++) {
        const out = output.slice();
        primitive.execute([...inputs, out].map((a) => Deno.UnsafePointer.of(a)));
        assertClose(out, first, `call ${i}`);
      }
      assert.ok(!primitive.impl.startsWith("tuning"), `still tuning: ${primitive.impl}`);
      if (tuning) assert.ok(!primitive.impl.includes(" vs "), primitive.impl);
    } finally {
      primitive.dispose();
    }
  },
});

Deno.test({
  name: "onednn primitive creation for an impossible geometry fails with a clear error",
  ignore: !ONEDNN.ok,
  fn: () => {
    const bad = { ...spec("forward", 3, 1, 1), outHeight: 99 };
    assert.throws(
      () => createConvPrimitive(ctx(), bad),
      /forward conv x\[2,12,10,6\].*y\[2,99,10,7\].*failed with dnnl status invalid_arguments/,
    );
  },
});

Deno.test("a variant trial ignores each candidate's first call: a cold first call does not lose it the trial", () => {
  // Candidate 0 reorders its filter into a fresh workspace: its first call pays the page faults.
  // Counting the first calls, candidate 1 would win (2.3 < 2.5); from the second call on, 0 is faster.
  const times = [[40, 2.5, 2.1], [5, 2.3, 3.2]];
  const trial = variantTrial(2);
  const runs = [0, 0];
  while (trial.winner === null) {
    const i = trial.next;
    trial.record(times[i][runs[i]++]);
  }
  assert.equal(trial.winner, 0);
  assert.deepEqual(runs, [
    WARMUP_CALLS_PER_VARIANT + TRIALS_PER_VARIANT,
    WARMUP_CALLS_PER_VARIANT + TRIALS_PER_VARIANT,
  ]);
  assert.equal(runs[0] + runs[1], TUNING_CALLS * 2 / MAX_CANDIDATES);
});

Deno.test("a variant trial of the most candidates takes TUNING_CALLS calls, the fastest wins", () => {
  const trial = variantTrial(MAX_CANDIDATES);
  let calls = 0;
  while (trial.winner === null) {
    trial.record(trial.next === 2 ? 1 : 3);
    calls++;
  }
  assert.equal(calls, TUNING_CALLS);
  assert.equal(trial.winner, 2);
});

Deno.test("a variant trial with one candidate has its winner at once", () => {
  assert.equal(variantTrial(1).winner, 0);
});
