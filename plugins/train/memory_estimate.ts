/**
 * An estimate of a training run's peak memory, printed before the first iteration: the parameters,
 * their gradients and Adam's two moments (exact, from the networks' parameter counts) plus the
 * activations the gradient tape keeps (from the layer sizes of G, D and VGG19 at the training size).
 * Per backend: the wasm backend's own convolution gradients need large temporaries that oneDNN's do
 * not, and on oneDNN Adam's moments live outside the wasm heap (`offHeap`).
 *
 * @module
 */
import type { TrainOptions } from "./options.ts";
import { discriminatorInputChannels, generatorInputChannels, trainsEncoder } from "./options.ts";

/** Peak memory of a run, by part, in bytes. */
export interface MemoryEstimate {
  /** Weights of every network (the frozen VGG19 included). */
  params: number;
  /** One gradient per trained weight (alive while the optimizers step). */
  gradients: number;
  /** Adam's first and second moments. */
  optimizer: number;
  /** Tensors the tape keeps for the backward passes. */
  activations: number;
  /** The sum. */
  total: number;
  /** The part of `total` outside the backend's tensor memory (the wasm heap's 4 GiB): Adam on oneDNN or onnxruntime. */
  offHeap: number;
}

/**
 * Bytes of live tensors per element of a conv output of G, D or E during an iteration, over 4 (float32):
 * the padded input, the normalised output and the activation the tape keeps, the kernels' temporaries,
 * and the gradients at the backward pass's frontier (backends/tape.ts frees the rest as it goes). The
 * wasm backend's convolution gradients add im2col-sized temporaries. Calibrated on the wasm heap's
 * size after three iterations in a fresh process (tests/plugins/train/_heap_probe.ts): wasm at ngf 16,
 * 256×128; oneDNN at ngf 32, 256×128 (3.5 measured → 6; 8 since the convolutions' workspaces are lent
 * in the heap when it has room: backends/wasm/heap_arena.ts) and ngf 64, 512×256 (2.7 GiB heap).
 */
export const TENSORS_PER_NETWORK_ELEMENT = { wasm: 20, onednn: 8, ort: 8 } as const;
/**
 * The same for VGG19's fused conv+ReLU outputs of the generated image (the real image's pass runs
 * before the tape and keeps only its five outputs).
 */
export const TENSORS_PER_VGG_ELEMENT = 2;

/** Elements of every conv output of the global generator (or the local enhancer) at `h × w`. */
function generatorElements(opts: TrainOptions, h: number, w: number): number {
  const local = opts.netG === "local" ? opts.n_local_enhancers : 0;
  const ngfGlobal = opts.ngf * 2 ** local;
  const gh = h / 2 ** local, gw = w / 2 ** local;
  let n = generatorInputChannels(opts) * h * w + ngfGlobal * gh * gw;
  for (let i = 1; i <= opts.n_downsample_global; i++) n += ngfGlobal * 2 ** i * gh * gw / 4 ** i;
  const d = opts.n_downsample_global;
  n += 2 * opts.n_blocks_global * ngfGlobal * 2 ** d * gh * gw / 4 ** d;
  for (let i = d - 1; i >= 0; i--) n += ngfGlobal * 2 ** i * gh * gw / 4 ** i;
  for (let e = local; e >= 1; e--) {
    const f = opts.ngf * 2 ** (e - 1), eh = h / 2 ** (e - 1), ew = w / 2 ** (e - 1);
    n += f * eh * ew + 2 * f * eh * ew / 4 * (1 + 2 * opts.n_blocks_local) + f * eh * ew;
  }
  return n + opts.output_nc * h * w;
}

/** Elements of every layer output of the multiscale discriminator, for one input. */
function discriminatorElements(opts: TrainOptions, h: number, w: number): number {
  let n = 0;
  for (let s = 0; s < opts.num_D; s++) {
    const sh = h / 2 ** s, sw = w / 2 ** s;
    n += discriminatorInputChannels(opts) * sh * sw;
    let nf = opts.ndf, area = sh * sw / 4;
    n += nf * area;
    for (let l = 1; l < opts.n_layers_D; l++) {
      nf = Math.min(nf * 2, 512);
      area /= 4;
      n += nf * area;
    }
    n += Math.min(nf * 2, 512) * area + area;
  }
  return n;
}

/** Weights of torchvision's VGG19 up to relu5_1 (features.0 … features.28), kept frozen. */
export const VGG19_PARAMS: number = [
  [3, 64],
  [64, 64],
  [64, 128],
  [128, 128],
  [128, 256],
  [256, 256],
  [256, 256],
  [256, 256],
  [
    256,
    512,
  ],
  [512, 512],
  [512, 512],
  [512, 512],
  [512, 512],
].reduce((n, [i, o]) => n + 9 * i * o + o, 0);

/** Elements of VGG19's conv outputs up to relu5_1, for one image. */
function vggElements(h: number, w: number): number {
  const a = h * w;
  return 2 * 64 * a + 2 * 128 * a / 4 + 4 * 256 * a / 16 + 4 * 512 * a / 64 + 512 * a / 256;
}

/**
 * Estimates the peak memory of one training iteration.
 *
 * @param opts the run's options
 * @param paramCounts trained weights per network ("G", "D", "E"), as built
 * @param size the training image size (after load-time scaling and cropping)
 * @param backend the backend it runs on ("onednn" or "ort": their kernels and Adam; anything else: as wasm)
 * @returns bytes by part (float32)
 */
export function estimateTrainingMemory(
  opts: TrainOptions,
  paramCounts: Record<string, number>,
  size: { height: number; width: number },
  backend = "wasm",
): MemoryEstimate {
  const native = backend === "onednn" || backend === "ort";
  const frozenParams = opts.no_vgg_loss ? 0 : VGG19_PARAMS;
  const all = Object.values(paramCounts).reduce((a, b) => a + b, 0);
  const { height: h, width: w } = size;
  // G pass: G (+E), D on fake (taped) and on real, VGG on fake (taped); D pass: D on pooled fake and real.
  const encoder = trainsEncoder(opts) ? 2 * opts.nef * h * w * (1 + opts.n_downsample_E) : 0;
  const networks = generatorElements(opts, h, w) + encoder + 2 * discriminatorElements(opts, h, w);
  const vgg = opts.no_vgg_loss ? 0 : vggElements(h, w);
  const activations = 4 * opts.batchSize *
    (TENSORS_PER_NETWORK_ELEMENT[native ? backend : "wasm"] * networks + TENSORS_PER_VGG_ELEMENT * vgg);
  const params = 4 * (all + frozenParams), gradients = 4 * all, optimizer = 8 * all;
  return {
    params,
    gradients,
    optimizer,
    activations,
    total: params + gradients + optimizer + activations,
    offHeap: native ? optimizer : 0,
  };
}

/**
 * A one-line summary, e.g. `peak memory ≈ 3.1 GiB (params 0.7, gradients 0.7, Adam 1.4, activations 0.3)`,
 * and on oneDNN what of it the wasm heap holds (Adam lives outside it).
 *
 * @param m an estimate
 * @returns the line
 */
export function formatMemoryEstimate(m: MemoryEstimate): string {
  const gib = (b: number) => (b / 2 ** 30).toFixed(b < 2 ** 28 ? 3 : 2);
  return `peak memory ≈ ${gib(m.total)} GiB (params ${gib(m.params)}, gradients ${gib(m.gradients)}, Adam ${
    gib(m.optimizer)
  }, activations ${gib(m.activations)})${
    m.offHeap > 0 ? `; ${gib(m.total - m.offHeap)} GiB in the wasm heap` : ""
  }`;
}
