/**
 * A tiny random `instance_feat` checkpoint (global generator + encoder) saved in our format, for
 * command tests: label_nc 35 with boundaries and 3 features, trained "at" 128×64 on the bundled sample.
 *
 * @module
 */
import { join } from "node:path";
import { saveSafetensors } from "../../../formats/safetensors.ts";
import type { CliIO } from "../../../kernel/cli.ts";
import { Encoder } from "../../../plugins/networks/encoder.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";

/** The bundled Cityscapes sample. */
export const SAMPLE = new URL("../../../datasets/cityscapes/", import.meta.url).pathname;

/**
 * Writes `latest_net_G` and `latest_net_E` of a tiny random model into `dir`.
 *
 * @param dir the checkpoint folder
 * @returns the training config stored with them
 */
export async function saveTinyModel(dir: string): Promise<Record<string, unknown>> {
  const config = {
    label_nc: 35,
    instance_feat: true,
    feat_num: 3,
    no_instance: false,
    dataroot: SAMPLE,
    resize_or_crop: "scale_width",
    loadSize: 128,
    netG: "global",
    n_downsample_global: 2,
  };
  const G = new GlobalGenerator({
    input_nc: 39,
    ngf: 4,
    n_downsample_global: 2,
    n_blocks_global: 1,
    seed: 1,
  });
  const E = new Encoder({ nef: 4, n_downsample_E: 2, seed: 2 });
  const metadata = { config: JSON.stringify(config) };
  await Deno.mkdir(dir, { recursive: true });
  await saveSafetensors(join(dir, "latest_net_G.safetensors"), G.stateDict(), metadata);
  await saveSafetensors(join(dir, "latest_net_E.safetensors"), E.stateDict(), metadata);
  G.dispose();
  E.dispose();
  return config;
}

/** A CLI io that records what a command prints. */
export function recordingIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    color: { stdout: false, stderr: false },
    env: () => undefined,
  };
}
