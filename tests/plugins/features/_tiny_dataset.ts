/**
 * A tiny aligned dataset for sharding tests: six 64×32 scenes (`train_label`, 16-bit `train_inst`,
 * `train_img`) of road, building, a person and two cars placed differently in each, written into a
 * folder. Names are not created in sorted order, so tests see the inputs get sorted.
 *
 * @module
 */
import { join } from "node:path";
import { encode } from "fast-png";

/** The scenes' names, sorted. */
export const TINY_NAMES = ["scene_a", "scene_b", "scene_c", "scene_d", "scene_e", "scene_f"];

const WIDTH = 64, HEIGHT = 32;

function scene(k: number) {
  const label = new Uint8Array(WIDTH * HEIGHT), inst = new Uint16Array(WIDTH * HEIGHT);
  const image = new Uint8Array(WIDTH * HEIGHT * 3);
  const boxes: [number, number, number, number, number][] = [ // [x0, y0, size, class, instance id]
    [4 + 6 * k, 18, 10, 26, 26000],
    [40 - 3 * k, 16, 12, 26, 26001],
    [30, 4 + k, 8, 24, 24000],
  ];
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = y * WIDTH + x;
      let cls = y < 14 + (k % 3) ? 11 : 7, id = cls;
      for (const [x0, y0, size, c, instance] of boxes) {
        if (x >= x0 && x < x0 + size && y >= y0 && y < y0 + size) [cls, id] = [c, instance];
      }
      label[i] = cls;
      inst[i] = id;
      image.set([(cls * 37 + x * 3 + k * 20) % 256, (cls * 11 + y * 5) % 256, (id * 7 + x * y) % 256], i * 3);
    }
  }
  return { label, inst, image };
}

/**
 * Writes the dataset.
 *
 * @param root the dataset folder (created)
 * @returns `root`
 */
export async function writeTinyDataset(root: string): Promise<string> {
  for (const sub of ["train_label", "train_inst", "train_img"]) {
    await Deno.mkdir(join(root, sub), { recursive: true });
  }
  for (const k of [3, 0, 5, 1, 4, 2]) {
    const { label, inst, image } = scene(k);
    const file = `${TINY_NAMES[k]}.png`;
    const size = { width: WIDTH, height: HEIGHT };
    await Deno.writeFile(
      join(root, "train_label", file),
      encode({ ...size, channels: 1, depth: 8, data: label }),
    );
    await Deno.writeFile(
      join(root, "train_inst", file),
      encode({ ...size, channels: 1, depth: 16, data: inst }),
    );
    await Deno.writeFile(
      join(root, "train_img", file),
      encode({ ...size, channels: 3, depth: 8, data: image }),
    );
  }
  return root;
}

/**
 * Every file under a folder with its bytes, by path relative to it, leaving out `shards/` folders.
 *
 * @param dir the folder
 * @returns relative path → bytes, paths sorted
 */
export async function filesUnder(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (sub: string) => {
    for await (const e of Deno.readDir(join(dir, sub))) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory && e.name !== "shards") await walk(rel);
      else if (e.isFile) out.set(rel, await Deno.readFile(join(dir, rel)));
    }
  };
  await walk("");
  return new Map([...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}
