import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { channelAffine, type ChannelAffineTerms } from "../../../backends/channel_affine.ts";
import { ONEDNN, seededTensor, valuesOn } from "./conv_helpers.ts";
import { oneDnnInfo } from "../../../backends/onednn/mod.ts";

const ignore = !ONEDNN.ok;

/** Every combination of terms, on x of `shape`, through `channelAffine`. */
function combinations(shape: [number, number, number, number]): [string, () => tf.Tensor][] {
  const perChannel: [number, number, number, number] = [shape[0], 1, 1, shape[3]];
  const out: [string, () => tf.Tensor][] = [];
  for (let mask = 1; mask < 16; mask++) {
    if ((mask & 7) === 0) continue; // square alone: no term
    out.push([`terms ${mask.toString(2).padStart(4, "0")}`, () => {
      const terms: ChannelAffineTerms = {
        ...(mask & 1 ? { shift: seededTensor(perChannel, 2) } : {}),
        ...(mask & 2 ? { minus: seededTensor(shape, 3) } : {}),
        ...(mask & 4 ? { scale: seededTensor(perChannel, 4) } : {}),
        square: (mask & 8) !== 0,
      };
      return channelAffine(seededTensor(shape, 1), terms);
    }]);
  }
  return out;
}

Deno.test({
  name: "channelAffine on oneDNN gives the same bits as tfjs's sub, mul and square on cpu, per sample",
  ignore,
  fn: async () => {
    await tf.setBackend("cpu");
    for (const shape of [[1, 16, 24, 32], [2, 5, 7, 3]] as [number, number, number, number][]) {
      for (const [label, fn] of combinations(shape)) {
        const before = tf.memory().numTensors;
        const [expected] = await valuesOn("cpu", fn);
        const [actual] = await valuesOn("wasm", fn);
        assert.deepEqual(
          new Uint32Array(actual.buffer),
          new Uint32Array(expected.buffer),
          `[${shape}] ${label}`,
        );
        assert.equal(tf.memory().numTensors, before, `[${shape}] ${label}: leaked tensors`);
      }
    }
    const keys = [...oneDnnInfo().primitives.keys()];
    assert.ok(keys.includes("channel_affine,384,32,shift,minus,scale,square"), keys.join(" "));
    assert.ok(keys.includes("channel_affine,35,3,shift"), "batch 2 runs one pass per sample");
  },
});

Deno.test({
  name: "instance norm on oneDNN and on cpu agree, forward and backward",
  ignore,
  fn: async () => {
    const { instanceNorm } = await import("../../../plugins/networks/_layers/norm.ts");
    const fn = () => {
      const x = tf.mul(seededTensor([1, 24, 40, 16], 5), 3);
      const dy = seededTensor([1, 24, 40, 16], 6);
      const [y, dx] = [
        instanceNorm(x as tf.Tensor4D),
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(instanceNorm(t as tf.Tensor4D), dy)))(x),
      ];
      return [y, dx];
    };
    const expected = await valuesOn("cpu", fn);
    const actual = await valuesOn("wasm", fn);
    expected.forEach((e, i) => {
      const worst = e.reduce((m, v, j) => Math.max(m, Math.abs(v - actual[i][j])), 0);
      assert.ok(worst < 1e-5, `output ${i}: max difference ${worst}`);
    });
  },
});
