/**
 * Forward parity with the official PyTorch code: our networks loaded from the fixture checkpoints
 * reproduce every saved output to 1e-4, on every backend here, without leaking tensors.
 */
import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { GlobalGenerator } from "../../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../../plugins/networks/local_enhancer.ts";
import { MultiscaleDiscriminator } from "../../plugins/networks/multiscale_discriminator.ts";
import { Encoder } from "../../plugins/networks/encoder.ts";
import {
  errorAgainst,
  fixtureArray,
  fixtureCheckpoint,
  fixtureNhwc,
  parityBackends,
  TOLERANCE,
  useBackend,
} from "./_fixtures.ts";

/** The fixture networks' architectures (manifest.json "networks"). */
const G_GLOBAL = { input_nc: 6, output_nc: 3, ngf: 8, n_downsample_global: 2, n_blocks_global: 2 };
const G_LOCAL = {
  input_nc: 6,
  ngf: 4,
  n_downsample_global: 2,
  n_blocks_global: 2,
  n_local_enhancers: 1,
  n_blocks_local: 1,
};
const D_MULTI = { input_nc: 9, ndf: 8, n_layers_D: 3, num_D: 2 };
const E_ENC = { input_nc: 3, feat_num: 3, nef: 4, n_downsample_E: 2 };

async function expectClose(actual: tf.Tensor, fixture: string): Promise<void> {
  const error = await errorAgainst(actual, fixture);
  assert.ok(error <= TOLERANCE, `${fixture}: max abs error ${error} > ${TOLERANCE}`);
}

for (const backend of await parityBackends()) {
  const ignore = backend.skip !== null;
  const name = (what: string) =>
    `${what} matches the official output on ${backend.name}${ignore ? ` (${backend.skip})` : ""}`;

  Deno.test({ name: name("global generator"), ignore }, async () => {
    await useBackend(backend.name);
    const g = new GlobalGenerator(G_GLOBAL);
    g.loadStateDict(await fixtureCheckpoint("G_global.pth"), "G_global.pth");
    const x = await fixtureNhwc("input_label.npy");
    const before = tf.memory().numTensors;
    const y = g.apply(x);
    assert.equal(tf.memory().numTensors, before + 1, "apply leaves only its output");
    await expectClose(y, "G_global_out.npy");
    tf.dispose([x, y]);
    g.dispose();
  });

  Deno.test({ name: name("local enhancer, its input pyramid and global features"), ignore }, async () => {
    await useBackend(backend.name);
    const g = new LocalEnhancer(G_LOCAL);
    g.loadStateDict(await fixtureCheckpoint("G_local.pth"), "G_local.pth");
    const x = await fixtureNhwc("input_label.npy");
    const before = tf.memory().numTensors;
    const t = g.trace(x);
    assert.equal(tf.memory().numTensors, before + 3, "trace leaves only its 3 results");
    await expectClose(t.pyramid[0], "G_local_input_downsampled.npy");
    await expectClose(t.globalFeatures, "G_local_global_features.npy");
    await expectClose(t.output, "G_local_out.npy");
    tf.dispose([...t.pyramid, t.globalFeatures, t.output]);
    const y = g.apply(x);
    assert.equal(tf.memory().numTensors, before + 1, "apply leaves only its output");
    await expectClose(y, "G_local_out.npy");
    tf.dispose([x, y]);
    g.dispose();
  });

  Deno.test(
    { name: name("multiscale discriminator, every feature at every scale, real and fake"), ignore },
    async () => {
      await useBackend(backend.name);
      const d = new MultiscaleDiscriminator(D_MULTI);
      d.loadStateDict(await fixtureCheckpoint("D_multiscale.pth"), "D_multiscale.pth");
      const label = await fixtureNhwc("input_label.npy");
      for (const [kind, imageFile] of [["real", "real_image.npy"], ["fake", "G_global_out.npy"]]) {
        const image = await fixtureNhwc(imageFile);
        const input = tf.concat([label, image], 3);
        const before = tf.memory().numTensors;
        const out = d.apply(input);
        assert.equal(tf.memory().numTensors, before + 10, "apply leaves only its 2 × 5 outputs");
        assert.equal(out.length, 2);
        for (let i = 0; i < 2; i++) {
          assert.equal(out[i].length, 5);
          for (let j = 0; j < 5; j++) await expectClose(out[i][j], `D_${kind}_out${i}_layer${j}.npy`);
        }
        tf.dispose([image, input, ...out.flat()]);
      }
      label.dispose();
      d.dispose();
    },
  );

  Deno.test({ name: name("encoder, raw and instance-pooled"), ignore }, async () => {
    await useBackend(backend.name);
    const e = new Encoder(E_ENC);
    e.loadStateDict(await fixtureCheckpoint("E_encoder.pth"), "E_encoder.pth");
    const image = await fixtureNhwc("real_image.npy");
    // [1, 1, h, w] and [1, h, w, 1] share their element order; a map made from pixel data stays
    // CPU-readable on webgpu, as decoded maps are
    const instArray = await fixtureArray("inst.npy");
    const [, , h, w] = instArray.shape;
    const inst = tf.tensor4d(instArray.data as Int32Array, [1, h, w, 1], "int32");
    const before = tf.memory().numTensors;
    const raw = e.features(image);
    const pooled = e.apply(image, inst);
    assert.equal(tf.memory().numTensors, before + 2, "features and apply leave only their outputs");
    await expectClose(raw, "E_raw_out.npy");
    await expectClose(pooled, "E_pooled_out.npy");
    tf.dispose([image, inst, raw, pooled]);
    e.dispose();
  });
}
