/**
 * Run by memory_estimate_test.ts in a fresh process (a wasm heap only grows, so it must be new):
 * trains a few iterations of a pix2pixHD configuration on wasm and prints the heap's used extent it reached
 * and the estimate, as JSON.
 *
 * Usage: `deno run -A tests/plugins/train/_heap_probe.ts <wasm|onednn> <ngf> <width> <height>`
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { randomVgg19StateDict, Vgg19Features } from "../../../plugins/losses/vgg19.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { TrainingSession } from "../../../plugins/train/session.ts";
import { estimateTrainingMemory } from "../../../plugins/train/memory_estimate.ts";
import { heapArenaOf } from "../../../backends/wasm/heap_arena.ts";

const backend = Deno.args[0];
const [ngf, width, height] = Deno.args.slice(1).map(Number);
await selectBackend(backend);
const opts = resolveTrainOptions({ label_nc: 35, ngf, ndf: 32, num_D: 2, seed: 0 });
const session = await TrainingSession.create(
  opts,
  Vgg19Features.fromStateDict(randomVgg19StateDict(0), "random VGG19"),
);
// the heap's used extent: its size, less the part of oneDNN's arena (reserved up front) no block has reached
const heapBytes = () => {
  const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
  const arena = heapArenaOf(backend);
  return backend.wasm.HEAPU8.byteLength - (arena ? arena.end - arena.start - arena.extentBytes : 0);
};
const startHeap = heapBytes();
const input = tf.zeros([1, height, width, 36]) as tf.Tensor4D;
const image = tf.zeros([1, height, width, 3]) as tf.Tensor4D;
for (let i = 0; i < 3; i++) session.step({ input, image });
const count = (m: Map<string, tf.Variable>) => [...m.values()].reduce((n, v) => n + v.size, 0);
const estimate = estimateTrainingMemory(
  opts,
  {
    G: count(session.models.G.params()),
    D: count(session.models.D.params()),
  },
  { height, width },
  backend,
);
console.log(JSON.stringify({ startHeap, heap: heapBytes(), estimate: estimate.total - estimate.offHeap }));
