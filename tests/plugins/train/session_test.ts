import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { resolveTrainOptions } from "../../../plugins/train/options.ts";
import { DivergedError, TrainingSession } from "../../../plugins/train/session.ts";
import { randomVgg19StateDict, Vgg19Features } from "../../../plugins/losses/vgg19.ts";
import { trainingBackend } from "./_fixtures.ts";
import { spyOnCreate } from "./_plugin_spy.ts";
import { defineSchema } from "../../../kernel/options.ts";
import { definePlugin } from "../../../kernel/plugin.ts";
import { registry } from "../../../kernel/registry.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { adamPlugin } from "../../../plugins/optim/adam.ts";
import { ganLossPlugin } from "../../../plugins/losses/gan_loss.ts";
import { featureMatchingPlugin } from "../../../plugins/losses/feature_matching.ts";
import { vggLossPlugin } from "../../../plugins/losses/vgg_loss.ts";

const backend = await trainingBackend();
const TINY = {
  label_nc: 4,
  ngf: 4,
  n_downsample_global: 2,
  n_blocks_global: 1,
  ndf: 4,
  n_layers_D: 2,
  no_vgg_loss: true,
  seed: 1,
};

/** One 64×32 sample: 4 horizontal label bands, a photo whose colour follows them. */
function sample(): { input: tf.Tensor4D; image: tf.Tensor4D; inst: tf.Tensor4D } {
  return tf.tidy(() => {
    const ids = tf.cast(tf.reshape(tf.floor(tf.div(tf.range(0, 64 * 32), 512)), [1, 32, 64]), "int32");
    const input = tf.concat(
      [tf.cast(tf.oneHot(ids, 4), "float32"), tf.zeros([1, 32, 64, 1])],
      3,
    ) as tf.Tensor4D;
    const noise = tf.randomUniform([1, 32, 64, 3], -0.3, 0.3, "float32", 2);
    const image = tf.tanh(tf.add(tf.mul(tf.cast(tf.oneHot(ids, 3), "float32"), 1.2), noise)) as tf.Tensor4D;
    return { input, image, inst: tf.reshape(ids, [1, 32, 64, 1]) as tf.Tensor4D };
  });
}

function psnr(session: TrainingSession, input: tf.Tensor4D, image: tf.Tensor4D): number {
  return tf.tidy(() => {
    const fake = session.models.G.apply(input);
    const mse = tf.mean(tf.squaredDifference(fake, image)).dataSync()[0] / 4; // both in [-1, 1]
    return 10 * Math.log10(1 / mse);
  });
}

Deno.test(`TrainingSession.step() overfits one image: PSNR rises by ≥ 1 dB in 4 steps, losses finite, no leak (${backend})`, async () => {
  const session = await TrainingSession.create(resolveTrainOptions({ ...TINY, lr: 0.002 }));
  const batch = sample();
  const start = psnr(session, batch.input, batch.image);
  session.step(batch);
  const live = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const { losses } = session.step(batch);
    assert.ok(Object.values(losses).every(Number.isFinite), JSON.stringify(losses));
    assert.equal(losses.G_VGG, 0);
    assert.equal(tf.memory().numTensors, live, "numTensors is flat across iterations");
  }
  const end = psnr(session, batch.input, batch.image);
  assert.ok(end - start >= 1, `PSNR ${start.toFixed(2)} → ${end.toFixed(2)} dB`);
  tf.dispose(batch);
  session.dispose();
});

Deno.test(`TrainingSession.step() trains E jointly, with the VGG loss and an image pool (${backend})`, async () => {
  const vgg = Vgg19Features.fromStateDict(randomVgg19StateDict(4, [4, 4, 8, 8, 8]), "random");
  const opts = resolveTrainOptions({
    ...TINY,
    no_vgg_loss: false,
    instance_feat: true,
    nef: 4,
    n_downsample_E: 2,
    pool_size: 2,
  });
  const session = await TrainingSession.create(opts, vgg);
  const batch = sample();
  const e0 = session.models.E!.stateDict();
  const first = session.step(batch, true);
  assert.ok(first.losses.G_VGG > 0 && Number.isFinite(first.losses.G_VGG));
  assert.deepEqual(first.fake!.shape, [1, 32, 64, 3]);
  first.fake!.dispose();
  session.step(batch);
  const live = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) session.step(batch);
  assert.equal(tf.memory().numTensors, live, "pool full: numTensors stays flat");
  const e1 = session.models.E!.stateDict();
  const moved = [...e1].filter(([name, a]) => a.data.some((v, i) => v !== e0.get(name)!.data[i]));
  assert.ok(moved.length > 0, "the encoder's weights change");
  const state = session.state();
  assert.equal(state.meta.optimizer_G_step, 4);
  assert.ok(state.tensors.has("pool.0") && state.tensors.has("pool.1") && !state.tensors.has("pool.2"));
  assert.ok([...state.tensors.keys()].some((k) => k.startsWith("optimizer_G.exp_avg.E.")));
  tf.dispose(batch);
  session.dispose();
});

Deno.test(`TrainingSession.step() stops on non-finite losses before changing any weight (${backend})`, async () => {
  const session = await TrainingSession.create(resolveTrainOptions(TINY));
  const batch = sample();
  const bad = { ...batch, image: tf.fill([1, 32, 64, 3], NaN) as tf.Tensor4D };
  const before = session.models.G.stateDict();
  assert.throws(
    () => session.step(bad),
    (e: Error) => e instanceof DivergedError && /training diverged \(.*= NaN/.test(e.message),
  );
  const after = session.models.G.stateDict();
  for (const [name, a] of after) assert.deepEqual(a.data, before.get(name)!.data, name);
  assert.equal(session.state().meta.optimizer_G_step, 0);
  tf.dispose([batch, bad.image]);
  session.dispose();
});

Deno.test(`TrainingSession creates Adam and the losses through the registry, from the run's options (${backend})`, async () => {
  const spy = spyOnCreate([adamPlugin, ganLossPlugin, featureMatchingPlugin, vggLossPlugin]);
  try {
    const vgg = Vgg19Features.fromStateDict(randomVgg19StateDict(4, [4, 4, 8, 8, 8]), "random");
    const opts = resolveTrainOptions({
      ...TINY,
      no_vgg_loss: false,
      no_lsgan: true,
      lambda_feat: 5,
      beta1: 0.6,
    });
    const session = await TrainingSession.create(opts, vgg);
    const batch = sample();
    const { losses } = session.step(batch);
    assert.ok(losses.G_VGG > 0 && losses.G_GAN_Feat > 0, JSON.stringify(losses));
    tf.dispose(batch);
    session.dispose();
    const byName = (name: string) => spy.calls.filter((c) => c.name === name).map((c) => c.options);
    assert.deepEqual(byName("adam"), [{ lr: 0.0002, beta1: 0.6, beta2: 0.999, eps: 1e-8 }]);
    assert.deepEqual(
      byName("gan-loss"),
      [{ gan_mode: "vanilla" }, { gan_mode: "vanilla" }],
      "D's and G_GAN's",
    );
    assert.deepEqual(byName("feature-matching-loss"), [{ lambda_feat: 5 }]);
    assert.deepEqual(byName("vgg-loss"), [{ lambda_feat: 5 }]);
  } finally {
    spy.restore();
  }
});

Deno.test(`TrainingSession trains the generator a plugin registers under netG:<name> (${backend})`, async () => {
  const made: GlobalGenerator[] = [];
  registry.register(definePlugin({
    name: "shallow-generator",
    role: "generator",
    description: "a global generator with one downsampling and one block, whatever the run's depth",
    provides: ["generator", "netG:shallow"],
    schema: defineSchema({
      input_nc: { type: "int", default: 3, min: 1, doc: "input channels" },
      ngf: { type: "int", default: 8, min: 1, doc: "filters" },
      seed: { type: "int", default: 0, min: 0, doc: "seed" },
    }),
    create: (o) => {
      const g = new GlobalGenerator({ ...o, n_downsample_global: 1, n_blocks_global: 1 });
      made.push(g);
      return g;
    },
  }));
  const session = await TrainingSession.create(resolveTrainOptions({ ...TINY, netG: "shallow" }));
  assert.equal(made.length, 1);
  assert.equal(session.models.G, made[0]);
  assert.deepEqual([made[0].options.input_nc, made[0].options.ngf], [4 + 1, TINY.ngf]);
  const batch = sample();
  const before = session.models.G.stateDict();
  const { losses } = session.step(batch);
  assert.ok(Object.values(losses).every(Number.isFinite), JSON.stringify(losses));
  const after = session.models.G.stateDict();
  assert.ok(
    [...after].some(([name, a]) => a.data.some((v, i) => v !== before.get(name)!.data[i])),
    "G trains",
  );
  tf.dispose(batch);
  session.dispose();
});

Deno.test(`without an image pool D runs once on the generated image, and the step equals the pooled path's while its pool fills (${backend})`, async () => {
  const sessions = [
    await TrainingSession.create(resolveTrainOptions({ ...TINY, pool_size: 0 })),
    await TrainingSession.create(resolveTrainOptions({ ...TINY, pool_size: 1 })), // returns its input at first
  ];
  const calls = sessions.map((session) => {
    const D = session.models.D;
    const apply = D.apply.bind(D);
    const count = { n: 0 };
    D.apply = (x) => (count.n++, apply(x));
    return count;
  });
  const batch = sample();
  const [shared, pooled] = sessions.map((s) => s.step(batch).losses);
  assert.deepEqual(
    calls.map((c) => c.n),
    [2, 3],
    "D on real and fake; the pooled path runs D on the fake twice",
  );
  for (const name of Object.keys(shared) as (keyof typeof shared)[]) {
    assert.ok(Math.abs(shared[name] - pooled[name]) <= 1e-6 * (1 + Math.abs(pooled[name])), name);
  }
  for (const net of ["G", "D"] as const) {
    const [a, b] = sessions.map((s) => s.models[net].stateDict());
    for (const [name, x] of a) {
      const [u, y] = [Array.from(x.data, Number), Array.from(b.get(name)!.data, Number)];
      assert.ok(u.every((v, i) => Math.abs(v - y[i]) <= 1e-6 * (1 + Math.abs(y[i]))), `${net} ${name}`);
    }
  }
  tf.dispose(batch);
  sessions.forEach((s) => s.dispose());
});
