import assert from "node:assert/strict";
import { DataError } from "../../kernel/errors.ts";
import { readClustersNpy } from "../../formats/clusters.ts";
import { writeNpy } from "../../formats/npy.ts";
import { PickleWriter } from "./torch_checkpoint_builder.ts";

const CLUSTERS = new URL("../fixtures/clusters/", import.meta.url).pathname;

/** The .npy header np.save writes for a 0-d object array. */
const OBJECT_HEADER = Uint8Array.from(
  "\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (), }".padEnd(127, " ") + "\n",
  (c) => c.charCodeAt(0),
);

const withHeader = (pickle: Uint8Array) => new Uint8Array([...OBJECT_HEADER, ...pickle]);

/**
 * A Python 2 era pickle of {7: float64 [[0.5, -2]]}: numpy.core names, data as a byte string.
 * `key` writes another key, `shape` another shape for the two values.
 */
function python2Clusters(key = (w: PickleWriter) => w.int(7), shape = [1, 2]): Uint8Array {
  const data = new Uint8Array(Float64Array.of(0.5, -2).buffer);
  const w = new PickleWriter().proto()
    .global("numpy.core.multiarray", "_reconstruct").tuple(
      (w) => w.global("numpy", "ndarray"),
      (w) => w.ints([0]),
      (w) => w.raw(0x55, 1, 0x62), // SHORT_BINSTRING 'b'
    ).raw(0x52)
    .tuple(
      (w) => w.int(1),
      (w) => w.raw(0x29),
      (w) =>
        w.global("numpy", "dtype").tuple((w) => w.raw(0x55, 2, 0x4f, 0x38), (w) => w.int(0), (w) => w.int(1))
          .raw(0x52)
          .tuple(
            (w) => w.int(3),
            (w) => w.raw(0x55, 1, 0x7c),
            (w) => w.int(null),
            (w) => w.int(null),
            (w) => w.int(null),
            (w) => w.int(-1),
            (w) => w.int(-1),
            (w) => w.int(63),
          ).raw(0x62),
      (w) => w.raw(0x89),
      (w) =>
        key(w.raw(0x5d, 0x7d))
          .global("numpy.core.multiarray", "_reconstruct").tuple(
            (w) => w.global("numpy", "ndarray"),
            (w) => w.ints([0]),
            (w) => w.raw(0x55, 1, 0x62),
          ).raw(0x52)
          .tuple(
            (w) => w.int(1),
            (w) => w.ints(shape),
            (w) =>
              w.global("numpy", "dtype").tuple((w) => w.raw(0x55, 2, 0x66, 0x38), (w) =>
                w.int(0), (w) =>
                w.int(1))
                .raw(0x52).tuple((w) =>
                  w.int(3), (w) =>
                  w.raw(0x55, 1, 0x3c), (w) =>
                  w.int(null), (w) =>
                  w.int(null), (w) =>
                  w.int(null), (w) =>
                  w.int(-1), (w) =>
                  w.int(-1), (w) =>
                  w.int(0)).raw(0x62),
            (w) =>
              w.raw(0x89),
            (w) =>
              w.raw(0x55, data.length, ...data),
          ).raw(0x62)
          .raw(0x73, 0x61), // SETITEM, APPEND
    ).raw(0x62);
  return withHeader(w.stop());
}

Deno.test("readClustersNpy reads numpy's own np.save of the centres dict (protocols 4 and 2)", async () => {
  for (const name of ["features_clustered_010.npy", "features_clustered_010_protocol2.npy"]) {
    const clusters = readClustersNpy(await Deno.readFile(`${CLUSTERS}${name}`), name);
    assert.deepEqual([...clusters.keys()], [3, 4, 26], name);
    const three = clusters.get(3)!;
    assert.deepEqual(three.shape, [10, 3]);
    assert.equal(three.dtype, "float64");
    assert.deepEqual([...three.data.slice(0, 4)], [-1, -0.875, -0.75, -0.625]);
    assert.equal(three.data[29], 29 / 8 - 1);
    assert.deepEqual(clusters.get(4), {
      shape: [2, 3],
      dtype: "float64",
      data: Float64Array.of(0.25, -0.5, 0.125, 1, 2, -3),
    });
    assert.deepEqual(clusters.get(26)!.data, Float64Array.of(-0.0625, 0.75, 1e-3));
  }
});

Deno.test("readClustersNpy reads Python 2 era pickles (numpy.core names, byte-string data)", () => {
  const clusters = readClustersNpy(python2Clusters(), "py2.npy");
  assert.deepEqual(
    clusters,
    new Map([[7, { shape: [1, 2], dtype: "float64", data: Float64Array.of(0.5, -2) }]]),
  );
});

Deno.test("readClustersNpy refuses files that are not a pickled dict of 2-D centres", () => {
  const check = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => readClustersNpy(bytes, "f.npy"), (e) => {
      assert.ok(e instanceof DataError, String(e));
      assert.match(e.message, /^f\.npy: /);
      assert.match(e.message, pattern);
      return true;
    });
  check(
    writeNpy({ shape: [2], dtype: "float32", data: new Float32Array(2) }),
    /<f4 array of shape \[2\], not a pickled dict/,
  );
  check(
    withHeader(new PickleWriter().proto().int(5).stop()),
    /holds a number, not a dict of cluster centres/,
  );
  const evil = new PickleWriter().proto().global("os", "system").tuple((w) => w.str("ls")).raw(0x52).stop();
  check(withHeader(evil), /os\.system, which is not allowed here; cluster files hold only numpy arrays/);
  check(python2Clusters((w) => w.str("car")), /has a key that is a str, not a class id/);
  check(
    python2Clusters(undefined, [2]),
    /centres of class 7 are a float64 array of shape \[2\], not a 2-D array/,
  );
  check(python2Clusters(undefined, [3, 1]), /array data has 16 bytes, shape \[3,1\] needs 24/);
  check(python2Clusters().subarray(0, 300), /truncated/);
});
