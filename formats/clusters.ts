/**
 * The official `features_clustered_010.npy` written by pix2pixHD's `encode_features.py`:
 * `np.save(path, centers)` of a dict `{label: kmeans.cluster_centers_}`, i.e. a 0-d object-array .npy
 * whose payload is a pickle. Each value is a float64 `[k, feat_num]` array (the area column used to
 * filter instances is dropped before clustering); labels without instances are absent.
 *
 * @module
 */
import { DataError } from "../kernel/errors.ts";
import type { NdArray } from "./ndarray.ts";
import { parseNpyHeader } from "./npy.ts";
import { numpyGlobals, NumpyObjectArray } from "./numpy_pickle.ts";
import { describe, unpickle } from "./pickle.ts";
import { readBytes } from "./read_bytes.ts";

const FLOAT_TYPES: readonly string[] = ["float64", "float32", "float16"];

/**
 * Reads a clustered-features file.
 *
 * @param bytes the whole .npy file
 * @param file name used in error messages
 * @returns class id → cluster centres `[k, feat_num]` (float64 as written by numpy/scikit-learn)
 * @throws {DataError} when the file is not a pickled-dict .npy, the pickle is invalid or uses
 *   globals other than numpy's, or an entry is not an int label → 2-D numeric array (all of one width)
 */
export function readClustersNpy(bytes: Uint8Array, file = "<clusters>"): Map<number, NdArray> {
  const fail = (message: string) => new DataError(file, message);
  const { descr, shape, dataOffset } = parseNpyHeader(bytes, file);
  if (descr !== "|O" || shape.length !== 0) {
    throw fail(
      `is a ${descr} array of shape [${shape}], not a pickled dict of cluster centres ` +
        "(np.save of {label: centers}, as encode_features.py writes)",
    );
  }
  const { value } = unpickle(bytes, {
    globals: numpyGlobals(),
    offset: dataOffset,
    error: fail,
    unknownGlobalHint: () => "cluster files hold only numpy arrays",
  });
  const dict = value instanceof NumpyObjectArray ? value.items[0] : undefined;
  if (!(dict instanceof Map)) throw fail(`holds ${describe(dict ?? value)}, not a dict of cluster centres`);
  const clusters = new Map<number, NdArray>();
  let width: number | undefined;
  for (const [label, centers] of dict) {
    if (!Number.isSafeInteger(label) || label < 0) {
      throw fail(`has a key that is ${describe(label)}, not a class id`);
    }
    const array = centers as NdArray;
    if (array instanceof NumpyObjectArray || !Array.isArray(array?.shape) || array.shape.length !== 2) {
      throw fail(`the centres of class ${label} are ${describe(centers)}, not a 2-D array [k, feat_num]`);
    }
    if (!FLOAT_TYPES.includes(array.dtype)) {
      throw fail(`the centres of class ${label} are ${array.dtype}, not floating-point numbers`);
    }
    width ??= array.shape[1];
    if (array.shape[1] !== width) {
      throw fail(`class ${label} has ${array.shape[1]} feature columns, other classes ${width}`);
    }
    clusters.set(label, array);
  }
  return clusters;
}

/**
 * Reads a clustered-features file from disk.
 *
 * @param path file path, e.g. checkpoints/label2city_1024p/features_clustered_010.npy
 * @returns class id → cluster centres `[k, feat_num]`
 * @throws {DataError} when the file cannot be read or is not a valid clusters file
 */
export async function loadClustersNpy(path: string): Promise<Map<number, NdArray>> {
  return readClustersNpy(await readBytes(path, (message) => new DataError(path, message)), path);
}
