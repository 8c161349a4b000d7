// Run by threads_test.ts in its own process (threads must be set up before the wasm backend starts):
// prints JSON {enabled, threads, wasm, cpu} with a conv's gradients on threaded wasm and on cpu.
import { tf } from "../../../backends/tf.ts";
import { enableWasmThreads } from "../../../backends/wasm/mod.ts";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { seeded } from "./_helpers.ts";

const enabled = enableWasmThreads();
function gradients(): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor4d(seeded(1 * 24 * 32 * 8, 1), [1, 24, 32, 8]);
    const w = tf.tensor4d(seeded(3 * 3 * 8 * 16, 2), [3, 3, 8, 16]);
    const grads = tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1))))([
      x,
      w,
    ]);
    return grads.map((g) => Array.from(g.dataSync()));
  });
}
await tf.setBackend("wasm");
const threads = getThreadsCount();
const wasm = gradients();
await tf.setBackend("cpu");
console.log(JSON.stringify({ enabled, threads, wasm, cpu: gradients() }));
