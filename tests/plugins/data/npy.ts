/**
 * A minimal `.npy` reader for the tests (little-endian float32/int32/uint8/int64 C-order arrays), until
 * formats/npy.ts is available.
 *
 * @module
 */

/** A parsed .npy array. */
export interface NpyArray {
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/**
 * Parses .npy bytes.
 *
 * @param bytes the file's contents
 * @returns shape and data
 * @throws {Error} on an unsupported dtype or a Fortran-order array
 */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)![1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error("fortran order not supported");
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1].split(",").map((s) => s.trim()).filter(Boolean)
    .map(Number);
  const body = bytes.slice(start + headerLen);
  const n = shape.reduce((a, b) => a * b, 1);
  switch (descr) {
    case "<f4":
      return { shape, data: new Float32Array(body.buffer, 0, n) };
    case "<i4":
      return { shape, data: new Int32Array(body.buffer, 0, n) };
    case "|u1":
      return { shape, data: new Uint8Array(body.buffer, 0, n) };
    case "<i8": {
      const big = new BigInt64Array(body.buffer, 0, n);
      return { shape, data: Int32Array.from(big, (v) => Number(v)) };
    }
    default:
      throw new Error(`unsupported dtype ${descr}`);
  }
}

/**
 * Reads a .npy file.
 *
 * @param path the file
 * @returns shape and data
 */
export async function readNpyFile(path: string): Promise<NpyArray> {
  return parseNpy(await Deno.readFile(path));
}

/**
 * NCHW data → NHWC data (for comparing PyTorch fixtures with our tensors).
 *
 * @param a an array of shape [N, C, H, W]
 * @returns the same values in [N, H, W, C] order
 */
export function nchwToNhwc(a: NpyArray): Float32Array {
  const [n, c, h, w] = a.shape;
  const out = new Float32Array(a.data.length);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          out[((b * h + y) * w + x) * c + k] = a.data[((b * c + k) * h + y) * w + x];
        }
      }
    }
  }
  return out;
}
