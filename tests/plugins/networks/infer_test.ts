import assert from "node:assert/strict";
import { selectBackend } from "../../../backends/select.ts";
import { CheckpointError } from "../../../kernel/errors.ts";
import { loadPth } from "../../../formats/pth.ts";
import { fileURLToPath } from "node:url";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { LocalEnhancer } from "../../../plugins/networks/local_enhancer.ts";
import { MultiscaleDiscriminator } from "../../../plugins/networks/multiscale_discriminator.ts";
import { Encoder } from "../../../plugins/networks/encoder.ts";
import {
  checkGeneratorInput,
  inferDiscriminator,
  inferEncoder,
  inferGenerator,
  inputMismatch,
} from "../../../plugins/networks/infer.ts";

await selectBackend("cpu");
const FIXTURES = fileURLToPath(new URL("../../fixtures/pytorch-parity/", import.meta.url));

Deno.test("the official fixture checkpoints' architectures are inferred from their names and shapes", async () => {
  assert.deepEqual(inferGenerator(await loadPth(FIXTURES + "G_global.pth"), "G_global.pth"), {
    netG: "global",
    options: {
      input_nc: 6,
      output_nc: 3,
      ngf: 8,
      n_downsample_global: 2,
      n_blocks_global: 2,
      norm: "instance",
      padding_type: "reflect",
    },
  });
  assert.deepEqual(inferGenerator(await loadPth(FIXTURES + "G_local.pth"), "G_local.pth"), {
    netG: "local",
    options: {
      input_nc: 6,
      output_nc: 3,
      ngf: 4,
      n_downsample_global: 2,
      n_blocks_global: 2,
      norm: "instance",
      padding_type: "reflect",
      n_local_enhancers: 1,
      n_blocks_local: 1,
    },
  });
  assert.deepEqual(inferDiscriminator(await loadPth(FIXTURES + "D_multiscale.pth"), "D.pth"), {
    input_nc: 9,
    ndf: 8,
    n_layers_D: 3,
    num_D: 2,
    norm: "instance",
    getIntermFeat: true,
    use_sigmoid: false,
  });
  assert.deepEqual(inferEncoder(await loadPth(FIXTURES + "E_encoder.pth"), "E.pth"), {
    input_nc: 3,
    feat_num: 3,
    nef: 4,
    n_downsample_E: 2,
    norm: "instance",
  });
});

Deno.test("inference gives back the options a network was built with, for every variant", () => {
  const generators = [
    new GlobalGenerator({
      input_nc: 5,
      output_nc: 2,
      ngf: 2,
      n_downsample_global: 3,
      n_blocks_global: 0,
      norm: "batch",
    }),
    new GlobalGenerator({
      input_nc: 4,
      ngf: 3,
      n_downsample_global: 1,
      n_blocks_global: 2,
      padding_type: "zero",
    }),
    new LocalEnhancer({
      input_nc: 4,
      ngf: 2,
      n_downsample_global: 1,
      n_blocks_global: 1,
      n_local_enhancers: 2,
      n_blocks_local: 2,
    }),
    new LocalEnhancer({
      input_nc: 4,
      ngf: 2,
      n_downsample_global: 1,
      n_blocks_global: 1,
      n_local_enhancers: 1,
      n_blocks_local: 0,
    }),
    new LocalEnhancer({
      input_nc: 4,
      ngf: 2,
      n_downsample_global: 2,
      n_blocks_global: 0,
      n_blocks_local: 1,
      norm: "batch",
      padding_type: "zero",
    }),
  ];
  for (const g of generators) {
    const { seed: _, ...options } = g.options;
    const inferred = inferGenerator(g.stateDict(), "g.pth");
    assert.equal(inferred.netG, g instanceof LocalEnhancer ? "local" : "global");
    assert.deepEqual(inferred.options, options);
    g.dispose();
  }
  for (
    const options of [
      {
        input_nc: 5,
        ndf: 2,
        n_layers_D: 2,
        num_D: 3,
        norm: "batch" as const,
        getIntermFeat: true,
        use_sigmoid: false,
      },
      {
        input_nc: 5,
        ndf: 2,
        n_layers_D: 4,
        num_D: 1,
        norm: "instance" as const,
        getIntermFeat: false,
        use_sigmoid: false,
      },
      {
        input_nc: 5,
        ndf: 2,
        n_layers_D: 1,
        num_D: 2,
        norm: "batch" as const,
        getIntermFeat: false,
        use_sigmoid: false,
      },
    ]
  ) {
    const d = new MultiscaleDiscriminator(options);
    assert.deepEqual(inferDiscriminator(d.stateDict(), "d.pth"), options);
    d.dispose();
  }
  const e = new Encoder({ input_nc: 3, feat_num: 5, nef: 2, n_downsample_E: 3, norm: "batch" });
  assert.deepEqual(inferEncoder(e.stateDict(), "e.pth"), {
    input_nc: 3,
    feat_num: 5,
    nef: 2,
    n_downsample_E: 3,
    norm: "batch",
  });
  e.dispose();
});

Deno.test("a checkpoint of another kind is a CheckpointError naming the file", async () => {
  const d = await loadPth(FIXTURES + "D_multiscale.pth");
  assert.throws(() => inferGenerator(d, "D.pth"), /^CheckpointError: D\.pth: is not a pix2pixHD generator/);
  const g = await loadPth(FIXTURES + "G_global.pth");
  assert.throws(() => inferDiscriminator(g, "G.pth"), CheckpointError);
  assert.throws(() => inferEncoder(g, "G.pth"), /G\.pth: is not a pix2pixHD encoder: it has residual blocks/);
});

Deno.test("an input that does not fit the generator names the flag that is off", () => {
  const cityscapes = { label_nc: 35, no_instance: false, feature_channels: 0 };
  assert.equal(inputMismatch(36, cityscapes), null);
  assert.match(
    inputMismatch(36, { ...cityscapes, no_instance: true })!,
    /trained with instance maps \(36 input channels = 35 labels \+ 1 boundary\); pass instance maps and drop --no_instance/,
  );
  assert.match(
    inputMismatch(35, cityscapes)!,
    /trained without instance maps \(35 input channels = 35 labels\); pass --no_instance/,
  );
  assert.match(
    inputMismatch(39, cityscapes)!,
    /trained with 3 instance-wise feature channels .*pass --instance_feat/,
  );
  assert.match(
    inputMismatch(36, { ...cityscapes, feature_channels: 3 })!,
    /trained without instance-wise features .*drop --instance_feat/,
  );
  assert.match(
    inputMismatch(20, cityscapes)!,
    /takes 20 input channels but the data gives 36: .* expects --label_nc 19, not 35/,
  );
  assert.throws(
    () => checkGeneratorInput(36, { ...cityscapes, no_instance: true }, "latest_net_G.pth"),
    (e: Error) =>
      e instanceof CheckpointError &&
      e.message.startsWith("latest_net_G.pth: the generator takes 36 input channels"),
  );
});
