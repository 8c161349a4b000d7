/**
 * Makes the bundled sample dataset `datasets/cityscapes/` from the official Cityscapes sample
 * (NVIDIA/pix2pixHD datasets/cityscapes @14b3b3c): every file downscaled to 512×256 with Pillow's
 * sampling (label and instance maps NEAREST, kept 8-bit and 16-bit; photos antialiased BICUBIC),
 * same folder and file names.
 *
 *   deno run -A scripts/make_bundled_data.ts [--from /work/shared/data/cityscapes-sample] [--to datasets/cityscapes]
 *
 * @module
 */
import { encode } from "fast-png";
import { basename, join } from "node:path";
import { readImageFile } from "../plugins/data/decode.ts";
import { listImages } from "../plugins/data/match_files.ts";
import { resizeBicubic, resizeNearest } from "../plugins/data/resize.ts";

const WIDTH = 512, HEIGHT = 256;

/**
 * Downscales every file of the sample into `to`.
 *
 * @param from the full-size sample (folders train_label, train_inst, train_img, test_label, test_inst)
 * @param to the output folder
 * @returns the number of files written
 * @throws {DataError} on an unreadable input file
 */
export async function makeBundledData(from: string, to: string): Promise<number> {
  let written = 0;
  for (const folder of ["train_label", "train_inst", "train_img", "test_label", "test_inst"]) {
    await Deno.mkdir(join(to, folder), { recursive: true });
    for (const file of listImages(join(from, folder))) {
      const img = await readImageFile(file);
      let data: Uint8Array | Uint16Array;
      if (folder.endsWith("_img")) {
        const r = resizeBicubic({ ...img, data: img.data as Uint8Array }, WIDTH, HEIGHT);
        data = r.data;
      } else {
        data = resizeNearest(img, WIDTH, HEIGHT).data;
      }
      const png = encode({
        width: WIDTH,
        height: HEIGHT,
        data,
        depth: img.depth as 8 | 16,
        channels: img.channels,
      });
      await Deno.writeFile(join(to, folder, basename(file)), png);
      written++;
    }
  }
  return written;
}

if (import.meta.main) {
  const arg = (name: string, fallback: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 && Deno.args[i + 1] ? Deno.args[i + 1] : fallback;
  };
  const from = arg("--from", "/work/shared/data/cityscapes-sample");
  const to = arg("--to", "datasets/cityscapes");
  console.log(`wrote ${await makeBundledData(from, to)} files to ${to}`);
}
