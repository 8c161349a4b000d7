/**
 * Test helpers: a tiny aligned dataset on disk and tiny training options.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encode } from "fast-png";

/** Options of a tiny run (64×32, label_nc 4, ngf 4, 1 epoch, no VGG) in a temporary folder. */
export function tinyOptions(dataroot: string, checkpoints: string, extra: Record<string, unknown> = {}) {
  return {
    name: "tiny",
    dataroot,
    checkpoints_dir: checkpoints,
    label_nc: 4,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    ndf: 4,
    n_layers_D: 2,
    num_D: 2,
    no_vgg_loss: true,
    resize_or_crop: "none",
    loadSize: 64,
    niter: 1,
    niter_decay: 0,
    nThreads: 0,
    print_freq: 1,
    display_freq: 1000,
    save_latest_freq: 1000,
    seed: 3,
    ...extra,
  };
}

/**
 * Writes `count` samples of 64×32: label map (8-bit, ids 0-3), instance map (16-bit, two cars of
 * class 3 = ids 3000 and 3001) and a photo whose colour follows the label.
 *
 * @param count number of samples
 * @returns the dataset root (a new temporary folder, removed when the process ends)
 */
export async function writeTinyDataset(count = 2): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "p2phd_train_" });
  globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

  for (const d of ["train_label", "train_inst", "train_img"]) await Deno.mkdir(join(root, d));
  const w = 64, h = 32;
  for (let s = 0; s < count; s++) {
    const label = new Uint8Array(w * h), inst = new Uint16Array(w * h), img = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const id = y < 10 ? 0 : y > 24 ? 1 : (x + 8 * s) % 32 < 12 ? 3 : 2;
        label[i] = id;
        inst[i] = id === 3 ? 3000 + Math.floor(((x + 8 * s) % 64) / 32) : id;
        const colors = [[70, 130, 180], [128, 64, 128], [70, 70, 70], [0, 0, 142]][id];
        for (let c = 0; c < 3; c++) img[i * 3 + c] = (colors[c] + 3 * ((x * 7 + y * 3) % 11)) & 255;
      }
    }
    const name = `s${s}.png`;
    await Deno.writeFile(
      join(root, "train_label", name),
      encode({ width: w, height: h, channels: 1, depth: 8, data: label }),
    );
    await Deno.writeFile(
      join(root, "train_inst", name),
      encode({ width: w, height: h, channels: 1, depth: 16, data: inst }),
    );
    await Deno.writeFile(
      join(root, "train_img", name),
      encode({ width: w, height: h, channels: 3, depth: 8, data: img }),
    );
  }
  return root;
}

/**
 * Writes `count` RGB-input samples of 64×32 in the official label_nc 0 layout: `train_A` (RGB inputs,
 * a ramp per sample), `train_B` (photos) and `train_inst` (16-bit, two instances: left and right half).
 *
 * @param count number of samples
 * @returns the dataset root (a new temporary folder, removed when the process ends)
 */
export async function writeTinyRgbDataset(count = 2): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "p2phd_train_rgb_" });
  globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
  for (const d of ["train_A", "train_B", "train_inst"]) await Deno.mkdir(join(root, d));
  const w = 64, h = 32;
  for (let s = 0; s < count; s++) {
    const a = new Uint8Array(w * h * 3), b = new Uint8Array(w * h * 3), inst = new Uint16Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const x = i % w, y = Math.floor(i / w);
      inst[i] = x < w / 2 ? 1 : 2;
      for (let c = 0; c < 3; c++) {
        a[i * 3 + c] = (x * 3 + c * 60 + s * 20) & 255;
        b[i * 3 + c] = (y * 7 + c * 40) & 255;
      }
    }
    const name = `s${s}.png`;
    const rgb = (data: Uint8Array) => encode({ width: w, height: h, channels: 3, depth: 8, data });
    await Deno.writeFile(join(root, "train_A", name), rgb(a));
    await Deno.writeFile(join(root, "train_B", name), rgb(b));
    await Deno.writeFile(
      join(root, "train_inst", name),
      encode({ width: w, height: h, channels: 1, depth: 16, data: inst }),
    );
  }
  return root;
}

/**
 * Selects the faster backend that can train: wasm once backends/wasm registers its conv filter
 * gradient, else cpu.
 *
 * @returns the backend's name
 */
export async function trainingBackend(): Promise<string> {
  const { selectBackend } = await import("../../../backends/select.ts");
  const { tf } = await import("../../../backends/tf.ts");
  await selectBackend("wasm").catch(() => undefined);
  if (tf.getBackend() === "wasm" && tf.getKernel("Conv2DBackpropFilter", "wasm")) return "wasm";
  await selectBackend("cpu");
  return "cpu";
}

/**
 * Asserts that our loss record equals the official `loss_log.txt` line for the same iteration, to the
 * three decimals it prints (G_GAN, G_GAN_Feat, D_real, D_fake).
 *
 * @param record our record (from `loss_log.jsonl`)
 * @param officialLog the text of the official `loss_log.txt`
 * @param prefix the start of the official line, e.g. `(epoch: 2, iters: 2,`
 */
export function assertOfficialLosses(
  record: Record<"G_GAN" | "G_GAN_Feat" | "D_real" | "D_fake", number>,
  officialLog: string,
  prefix: string,
): void {
  const line = officialLog.split("\n").find((l) => l.startsWith(prefix));
  assert.ok(line, `the official log has no line starting ${prefix}`);
  const expected = Object.fromEntries(
    [...line.matchAll(/(\w+): (-?[\d.]+)/g)].map((m) => [m[1], Number(m[2])]),
  );
  for (const k of ["G_GAN", "G_GAN_Feat", "D_real", "D_fake"] as const) {
    assert.ok(
      Math.abs(record[k] - expected[k]) <= 0.0015,
      `${k}: ours ${record[k]}, official ${expected[k]}`,
    );
  }
}
