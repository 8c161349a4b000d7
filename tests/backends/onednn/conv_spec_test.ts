import assert from "node:assert/strict";
import { padAfter } from "../../../backends/onednn/conv_spec.ts";

Deno.test("padAfter gives the far padding that makes oneDNN's floor formula give TensorFlow.js's size", () => {
  // "same", 3x3 stride 2 on 8: out 4, TensorFlow.js pads 0 before, 1 after.
  assert.equal(padAfter(8, 4, 3, 1, 2, 0), 1);
  // "valid", 3x3 stride 2 on 10: out 4, the last input row is never read.
  assert.equal(padAfter(10, 4, 3, 1, 2, 0), -1);
  // pix2pixHD discriminator: 4x4 stride 2 pad 2 on 12: out 7.
  assert.equal(padAfter(12, 7, 4, 1, 2, 2), 2);
  // dilation 2 widens a 3x3 kernel to 5: "same" on 11 needs 2 + 2.
  assert.equal(padAfter(11, 11, 3, 2, 1, 2), 2);
});

Deno.test("padAfter is always greater than -stride, as oneDNN requires", () => {
  for (let inSize = 5; inSize < 20; inSize++) {
    for (const stride of [1, 2, 3]) {
      for (const kernel of [1, 3, 4, 7]) {
        if (kernel > inSize) continue;
        const out = Math.floor((inSize - kernel) / stride) + 1; // "valid"
        const pad = padAfter(inSize, out, kernel, 1, stride, 0);
        assert.ok(pad > -stride && pad <= 0, `in ${inSize} k ${kernel} s ${stride}: ${pad}`);
        assert.equal(Math.floor((inSize + pad - kernel) / stride) + 1, out);
      }
    }
  }
});
