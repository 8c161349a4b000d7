/**
 * Data benchmark: samples/s to read and preprocess a Cityscapes triple (label, 16-bit instance map,
 * photo) at scale_width 1024 and 512 with one-hot (35) + boundary map on the current backend, and the
 * same while a busy model (a conv loop) runs, reading inline versus reading ahead in workers.
 * Uses the 2048×1024 sample in /work/shared/data/cityscapes-sample when present, else the bundled
 * 512×256 copy.
 *
 *   deno run -A bench/data.ts [--json]
 *
 * @module
 */
import { log } from "../kernel/log.ts";
import { resolveOptions } from "../kernel/options.ts";
import type { Sample } from "../kernel/plugin.ts";
import { tf } from "../backends/tf.ts";
import { alignedDataset } from "../plugins/data/datasets/aligned.ts";
import { encodeSample } from "../plugins/data/transforms.ts";

const FULL = "/work/shared/data/cityscapes-sample";
const BUNDLED = new URL("../datasets/cityscapes", import.meta.url).pathname;

/** One measured configuration. */
export interface DataBenchResult {
  name: string;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** A stand-in for a training step: `steps` 3×3 convolutions on a 16-channel 256×512 map. */
function busyModel(steps: number): void {
  tf.tidy(() => {
    let x = tf.ones([1, 256, 512, 16]) as tf.Tensor4D;
    const w = tf.fill([3, 3, 16, 16], 1 / 144) as tf.Tensor4D;
    for (let i = 0; i < steps; i++) x = tf.conv2d(x, w, 1, "same");
    x.dataSync();
  });
}

async function measure(
  name: string,
  root: string,
  loadSize: number,
  samples: number,
  prefetch: number,
  modelSteps: number,
): Promise<DataBenchResult> {
  const ctx = { backend: tf.getBackend(), log };
  const opts = resolveOptions("aligned", alignedDataset.schema, {
    dataroot: root,
    loadSize,
    max_dataset_size: samples,
    prefetch,
    seed: 1,
  });
  const source = alignedDataset.create(opts, ctx);
  const start = performance.now();
  let n = 0;
  for await (const raw of source.samples(ctx)) {
    const s: Sample = await encodeSample(raw, { label_nc: 35 });
    tf.dispose(Object.values(s).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
    if (modelSteps > 0) busyModel(modelSteps);
    n++;
  }
  const seconds = (performance.now() - start) / 1000;
  return { name, samples: n, seconds, samplesPerSecond: n / seconds };
}

/**
 * Runs the data benchmark and prints its results.
 *
 * @param opts `json`: print one JSON object instead of a table
 * @returns the measurements
 */
export async function benchData(opts: { json: boolean }): Promise<DataBenchResult[]> {
  await tf.ready();
  const root = isDir(FULL) ? FULL : BUNDLED;
  const samples = 8;
  const results: DataBenchResult[] = [];
  await measure("warm-up", root, 1024, 1, 0, 0);
  for (const loadSize of [1024, 512]) {
    results.push(
      await measure(
        `read+preprocess scale_width ${loadSize}, one-hot 35 + boundary`,
        root,
        loadSize,
        samples,
        0,
        0,
      ),
    );
  }
  busyModel(1); // warm-up
  const t = performance.now();
  busyModel(4);
  const stepMs = (performance.now() - t) / 4;
  const steps = Math.max(1, Math.round(400 / stepMs)); // ≈ 0.4 s of model work per sample
  for (const prefetch of [0, 2]) {
    results.push(
      await measure(
        `scale_width 1024 + busy model (${steps} convs ≈ ${
          Math.round(steps * stepMs)
        } ms), prefetch ${prefetch}`,
        root,
        1024,
        samples,
        prefetch,
        steps,
      ),
    );
  }
  const info = { backend: tf.getBackend(), data: root, cores: navigator.hardwareConcurrency };
  if (opts.json) console.log(JSON.stringify({ ...info, results }, null, 2));
  else {
    console.log(`data benchmark: backend ${info.backend}, ${info.data}, ${info.cores} cores`);
    for (const r of results) {
      console.log(
        `  ${r.name}: ${r.samplesPerSecond.toFixed(2)} samples/s (${r.samples} in ${r.seconds.toFixed(2)} s)`,
      );
    }
  }
  return results;
}

if (import.meta.main) await benchData({ json: Deno.args.includes("--json") });
