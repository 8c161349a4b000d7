// Run by exit_test.ts (and by hand under load) in its own process: selects the wasm backend (threads
// from P2PHD_WASM_THREADS), runs a small global generator forward and backward, then ends the way
// argv[0] says — "return" (the script ends), "exit" (Deno.exit(3) right after a kernel ran on the
// pool's thread), "early" (Deno.exit(4) as soon as the backend has started), "throw" (an uncaught
// error) or "reject" (an unhandled rejection). It prints the thread count, how many worker threads are
// alive once the backend has started (-1 without /proc) and whether globalThis.Worker is still Deno's
// Web Worker, then a hash of the bits of the losses and gradients.
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";

/** Threads of this process named like a Deno worker's ("worker-<id>"), or -1 where /proc is missing. */
function workerThreads(): number {
  try {
    return [...Deno.readDirSync("/proc/self/task")].filter((task) => {
      try {
        return Deno.readTextFileSync(`/proc/self/task/${task.name}/comm`).startsWith("worker-");
      } catch {
        return false;
      }
    }).length;
  } catch {
    return -1;
  }
}

const how = Deno.args[0] ?? "return";
const webWorker = globalThis.Worker;
await selectBackend("wasm");
const kept = globalThis.Worker === webWorker;
console.log(
  `threads ${getThreadsCount()} workers ${workerThreads()} web-worker ${kept ? "kept" : "replaced"}`,
);
if (how === "early") Deno.exit(4);
const g = new GlobalGenerator({
  input_nc: 4,
  output_nc: 3,
  ngf: 8,
  n_downsample_global: 2,
  n_blocks_global: 2,
});
const x = tf.randomNormal([1, 64, 96, 4], 0, 1, "float32", 1) as tf.Tensor4D;
let bits = 0x811c9dc5; // FNV-1a over the bits of the losses and gradients
for (let step = 0; step < 2; step++) {
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(g.apply(x))), [...g.params().values()]);
  for (const t of [value, ...Object.values(grads)]) {
    for (const word of new Uint32Array((t.dataSync() as Float32Array).slice().buffer)) {
      bits = Math.imul(bits ^ word, 0x01000193) >>> 0;
    }
  }
  tf.dispose([value, ...Object.values(grads)]);
}
console.log(`bits ${bits}`);
// a last convolution, so that the pool's thread has just worked when the process ends
tf.conv2d(tf.ones([1, 128, 128, 32]) as tf.Tensor4D, tf.ones([3, 3, 32, 32]) as tf.Tensor4D, 1, "same");
if (how === "exit") Deno.exit(3);
if (how === "throw") throw new Error("thrown on purpose");
if (how === "reject") Promise.reject(new Error("rejected on purpose"));
console.log("done");
