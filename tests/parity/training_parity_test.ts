/**
 * Training parity with the official PyTorch code: two iterations of the official order (forward;
 * loss_G backward, optimizer_G step; loss_D backward, optimizer_D step) with LSGAN + feature matching
 * and Adam (lr 2e-4, betas (0.5, 0.999)) reproduce the losses, the gradients and the weights after
 * each step to 1e-4. Biases that feed an instance norm are left out of the after-step comparisons:
 * their gradient is zero in exact arithmetic, and Adam turns float noise into arbitrary ±lr steps
 * (manifest.json, "training" → "caution").
 */
import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { toFloat32 } from "../../formats/ndarray.ts";
import { GlobalGenerator } from "../../plugins/networks/global_generator.ts";
import { MultiscaleDiscriminator } from "../../plugins/networks/multiscale_discriminator.ts";
import { ganLoss } from "../../plugins/losses/gan_loss.ts";
import { featureMatchingLoss } from "../../plugins/losses/feature_matching.ts";
import { namedGrads } from "../../plugins/optim/grads.ts";
import { Adam } from "../../plugins/optim/adam.ts";
import {
  fixtureArray,
  fixtureCheckpoint,
  fixtureNhwc,
  FIXTURES,
  maxAbsDiff,
  parityBackends,
  TOLERANCE,
  useBackend,
} from "./_fixtures.ts";

type Losses = Record<"G_GAN" | "G_GAN_Feat" | "loss_G" | "D_fake" | "D_real" | "loss_D", number>;

/** Gradients and losses of one iteration, in PyTorch layout where it matters. */
interface Iteration {
  losses: Losses;
  grads: Map<string, Float32Array>;
}

/** A tensor's values in PyTorch layout (async: webgpu cannot read synchronously). */
async function torchLayout(t: tf.Tensor): Promise<Float32Array> {
  const view = t.rank === 4 ? tf.transpose(t, [3, 2, 0, 1]) : tf.clone(t);
  try {
    return (await view.data() as Float32Array).slice();
  } finally {
    view.dispose();
  }
}

/** A network's parameters in PyTorch layout, by official name. */
async function paramsOf(net: GlobalGenerator | MultiscaleDiscriminator): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of net.params()) out.set(name, await torchLayout(v));
  return out;
}

/** Reads kept scalars into numbers and frees them. */
async function readScalars<K extends string>(scalars: Record<K, tf.Scalar>): Promise<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const key of Object.keys(scalars) as K[]) {
    out[key] = (await scalars[key].data())[0];
    scalars[key].dispose();
  }
  return out;
}

/** One official training iteration; reads what the test compares before tensors are freed. */
async function iterate(
  g: GlobalGenerator,
  d: MultiscaleDiscriminator,
  optG: Adam,
  optD: Adam,
  label: tf.Tensor4D,
  real: tf.Tensor4D,
): Promise<Iteration> {
  const gan = ganLoss("lsgan");
  const kept = {} as Record<keyof Losses, tf.Scalar>;
  const grads = new Map<string, Float32Array>();
  let fake: tf.Tensor4D | undefined;
  const lossG = namedGrads(() => {
    fake = tf.keep(g.apply(label));
    const predFake = d.apply(tf.concat([label, fake], 3));
    const predReal = d.apply(tf.concat([label, real], 3));
    kept.G_GAN = tf.keep(gan.generator(predFake));
    kept.G_GAN_Feat = tf.keep(featureMatchingLoss(predFake, predReal, 10));
    return tf.add(kept.G_GAN, kept.G_GAN_Feat);
  }, g.params());
  kept.loss_G = lossG.value;
  for (const [name, grad] of lossG.grads) grads.set(`G.${name}`, await torchLayout(grad));
  optG.step(lossG.grads);
  tf.dispose([...lossG.grads.values()]);
  const lossD = namedGrads(() => {
    kept.D_fake = tf.keep(gan.discriminatorFake(d.apply(tf.concat([label, fake as tf.Tensor4D], 3))));
    kept.D_real = tf.keep(gan.discriminatorReal(d.apply(tf.concat([label, real], 3))));
    return tf.mul(tf.add(kept.D_fake, kept.D_real), 0.5);
  }, d.params());
  kept.loss_D = lossD.value;
  for (const [name, grad] of lossD.grads) grads.set(`D.${name}`, await torchLayout(grad));
  optD.step(lossD.grads);
  tf.dispose([...lossD.grads.values(), fake as tf.Tensor4D]);
  return { losses: await readScalars(kept), grads };
}

/** Conv biases followed by an instance norm: all G convs but the last, D layers 1 … n_layers_D. */
function feedsInstanceNorm(name: string): boolean {
  return (name.startsWith("model.") && name.endsWith(".bias") && name !== "model.19.bias") ||
    /^scale\d_layer[123]\.0\.bias$/.test(name);
}

const backends = await parityBackends();
for (const backend of backends) {
  let skip = backend.skip;
  if (!skip && backend.name === "wasm") {
    await useBackend("wasm");
    if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
      skip = "the wasm backend has no Conv2DBackpropFilter kernel (backends/wasm/ not registered)";
    }
  }
  Deno.test({
    name: `two training iterations match the official losses, gradients and Adam steps on ${backend.name}${
      skip ? ` (${skip})` : ""
    }`,
    ignore: skip !== null,
    fn: async () => {
      await useBackend(backend.name);
      const g = new GlobalGenerator({ input_nc: 6, ngf: 8, n_downsample_global: 2, n_blocks_global: 2 });
      g.loadStateDict(await fixtureCheckpoint("G_global.pth"), "G_global.pth");
      const d = new MultiscaleDiscriminator({ input_nc: 9, ndf: 8, n_layers_D: 3, num_D: 2 });
      d.loadStateDict(await fixtureCheckpoint("D_multiscale.pth"), "D_multiscale.pth");
      const optG = new Adam(g.params(), { lr: 0.0002, beta1: 0.5, beta2: 0.999 });
      const optD = new Adam(d.params(), { lr: 0.0002, beta1: 0.5, beta2: 0.999 });
      const label = await fixtureNhwc("input_label.npy");
      const real = await fixtureNhwc("real_image.npy");
      const expected = JSON.parse(await Deno.readTextFile(FIXTURES + "losses.json"));
      const before = tf.memory().numTensors;

      const first = await iterate(g, d, optG, optD, label, real);
      assert.equal(tf.memory().numTensors, before, "an iteration leaves no tensor behind");
      for (const [key, value] of Object.entries(first.losses)) {
        const want = expected.iteration1[key];
        assert.ok(Math.abs(value - want) <= TOLERANCE, `iteration 1 ${key}: ${value}, official ${want}`);
      }
      const gradFixtures: Record<string, string> = {
        "G.model.1.weight": "G_first_conv_weight_grad.npy",
        "G.model.1.bias": "G_first_conv_bias_grad.npy",
        "D.scale0_layer0.0.weight": "D_scale0_layer0_weight_grad.npy",
        "D.scale1_layer0.0.weight": "D_scale1_layer0_weight_grad.npy",
      };
      for (const name of Object.keys(gradFixtures)) {
        const error = maxAbsDiff(
          first.grads.get(name) as Float32Array,
          toFloat32(await fixtureArray(gradFixtures[name])),
        );
        assert.ok(error <= TOLERANCE, `gradient of ${name}: max abs error ${error}`);
      }
      const afterStep: Array<[Map<string, Float32Array>, string]> = [
        [await paramsOf(g), "G_global_after_step1.pth"],
        [await paramsOf(d), "D_multiscale_after_step1.pth"],
      ];
      let compared = 0;
      for (const [ours, file] of afterStep) {
        for (const [name, want] of await fixtureCheckpoint(file)) {
          if (feedsInstanceNorm(name)) continue;
          const error = maxAbsDiff(ours.get(name) as Float32Array, toFloat32(want));
          assert.ok(error <= TOLERANCE, `${file} ${name} after step 1: max abs error ${error}`);
          compared++;
        }
      }
      assert.equal(
        compared,
        11 + 14,
        "every weight and the biases not feeding an instance norm were compared",
      );
      for (
        const [ours, name, file] of [
          [afterStep[0][0], "model.1.weight", "G_first_conv_weight_after_step1.npy"],
          [afterStep[1][0], "scale0_layer0.0.weight", "D_scale0_layer0_weight_after_step1.npy"],
        ] as const
      ) {
        const error = maxAbsDiff(ours.get(name) as Float32Array, toFloat32(await fixtureArray(file)));
        assert.ok(error <= TOLERANCE, `${file}: max abs error ${error}`);
      }

      const second = await iterate(g, d, optG, optD, label, real);
      assert.equal(tf.memory().numTensors, before, "a second iteration leaves no tensor behind");
      for (const [key, value] of Object.entries(second.losses)) {
        const want = expected.iteration2[key];
        assert.ok(Math.abs(value - want) <= TOLERANCE, `iteration 2 ${key}: ${value}, official ${want}`);
      }
      const step2 = (await paramsOf(g)).get("model.1.weight") as Float32Array;
      const error = maxAbsDiff(step2, toFloat32(await fixtureArray("G_first_conv_weight_after_step2.npy")));
      assert.ok(error <= TOLERANCE, `G model.1.weight after step 2: max abs error ${error}`);

      tf.dispose([label, real]);
      optG.dispose();
      optD.dispose();
      g.dispose();
      d.dispose();
    },
  });
}
