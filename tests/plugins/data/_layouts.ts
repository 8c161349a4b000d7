/**
 * Test helpers: tiny datasets (64×32) in the release layouts of the dataset plugins that are not the
 * aligned one — ADE20K (ADEChallengeData2016), Helen (SmithCVPR2013_dataset_resized) — and in the
 * example plugin's paired folder. Each scene is sky above, road below and a block in the middle whose
 * position moves with the sample; photos follow the classes' colours.
 *
 * @module
 */
import { join } from "node:path";
import { Image } from "imagescript";
import { writePng } from "./helpers.ts";

const W = 64, H = 32;

/** The class region of pixel (x, y) of sample `s`: 0 sky, 1 road, 2 block. */
function region(x: number, y: number, s: number): 0 | 1 | 2 {
  if (y < 10) return 0;
  if (y > 24) return 1;
  return (x + 8 * s) % 32 < 12 ? 2 : 1;
}

const REGION_RGB: readonly (readonly [number, number, number])[] = [[70, 130, 180], [128, 64, 128], [
  0,
  0,
  142,
]];

async function writeJpeg(path: string, s: number): Promise<void> {
  const image = new Image(W, H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [r, g, b] = REGION_RGB[region(x, y, s)];
      image.setPixelAt(x + 1, y + 1, Image.rgbaToColor(r, g, b, 255));
    }
  }
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeFile(path, await image.encodeJPEG(95));
}

async function tempRoot(prefix: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix });
  globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
  return root;
}

/**
 * Writes an ADEChallengeData2016 tree: `images/{training,validation}/*.jpg` and
 * `annotations/{training,validation}/*.png` (8-bit ids; sky 3, road 7, block 21).
 *
 * @param count samples per split
 * @returns the root (removed when the process ends)
 */
export async function writeTinyAde20k(count = 2): Promise<string> {
  const root = await tempRoot("p2phd_ade20k_");
  const ids = [3, 7, 21];
  for (const split of ["training", "validation"]) {
    for (let s = 0; s < count; s++) {
      const name = `ADE_${split === "training" ? "train" : "val"}_0000000${s + 1}`;
      const label = new Uint8Array(W * H);
      for (let i = 0; i < W * H; i++) label[i] = ids[region(i % W, Math.floor(i / W), s)];
      await writePng(join(root, "annotations", split, `${name}.png`), W, H, label);
      await writeJpeg(join(root, "images", split, `${name}.jpg`), s);
    }
  }
  return root;
}

/**
 * Writes a Helen tree: `images/{name}.jpg`, `labels/{name}/{name}_lbl00…10.png` (one mask per class:
 * background 0, face skin 1, hair 10) and the split lists `exemplars.txt` (all samples) and
 * `testing.txt` (the first).
 *
 * @param count samples
 * @returns the root (removed when the process ends)
 */
export async function writeTinyHelen(count = 2): Promise<string> {
  const root = await tempRoot("p2phd_helen_");
  const classes = [10, 0, 1];
  const names: string[] = [];
  for (let s = 0; s < count; s++) {
    const name = `10000${s}_1`;
    names.push(name);
    await writeJpeg(join(root, "images", `${name}.jpg`), s);
    for (let k = 0; k < 11; k++) {
      const mask = new Uint8Array(W * H);
      for (let i = 0; i < W * H; i++) mask[i] = classes[region(i % W, Math.floor(i / W), s)] === k ? 255 : 0;
      await writePng(join(root, "labels", name, `${name}_lbl${String(k).padStart(2, "0")}.png`), W, H, mask);
    }
  }
  await Deno.writeTextFile(
    join(root, "exemplars.txt"),
    names.map((n, i) => `${i + 1} , ${n}`).join("\n") + "\n",
  );
  await Deno.writeTextFile(join(root, "testing.txt"), `1 , ${names[0]}\n`);
  return root;
}

/**
 * Writes the example plugin's paired folder: `<name>_label.png` colour-coded in the Cityscapes
 * palette (sky 23, road 7, car 26) beside `<name>.jpg`.
 *
 * @param count samples
 * @returns the root (removed when the process ends)
 */
export async function writeTinyPairedFolder(count = 2): Promise<string> {
  const root = await tempRoot("p2phd_paired_");
  for (let s = 0; s < count; s++) {
    const name = `scene_${s}`;
    const rgb = new Uint8Array(W * H * 3);
    for (let i = 0; i < W * H; i++) rgb.set(REGION_RGB[region(i % W, Math.floor(i / W), s)], i * 3);
    await writePng(join(root, `${name}_label.png`), W, H, rgb, 3);
    await writeJpeg(join(root, `${name}.jpg`), s);
  }
  return root;
}
