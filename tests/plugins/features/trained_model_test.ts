import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { loadPth } from "../../../formats/pth.ts";
import { saveSafetensors } from "../../../formats/safetensors.ts";
import { loadTrainedModel, synthesizePadded } from "../../../plugins/features/trained_model.ts";

await tf.setBackend("cpu");
const PARITY = new URL("../../fixtures/pytorch-parity/", import.meta.url).pathname;

Deno.test("loadTrainedModel() reads an official .pth generator and infers its data flags", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(join(PARITY, "G_global.pth"), join(dir, "latest_net_G.pth"));
  const before = tf.memory().numTensors;
  const model = await loadTrainedModel(dir);
  assert.deepEqual([model.label_nc, model.feat_num, model.no_instance, model.multiple, model.E], [
    5,
    0,
    false,
    4,
    null,
  ]);
  const input = tf.zeros([1, 8, 8, 6]) as tf.Tensor4D;
  const out = model.synthesize(input);
  assert.deepEqual(out.shape, [1, 8, 8, 3]);
  tf.dispose([input, out]);
  // a 6×10 input is mirror-padded to 8×12 for the generator and its output cropped back
  const odd = tf.randomUniform([1, 6, 10, 6], 0, 1, "float32", 1) as tf.Tensor4D;
  const got = model.synthesize(odd);
  const want = tf.tidy(() => {
    const padded = tf.mirrorPad(odd, [[0, 0], [0, 2], [0, 2], [0, 0]], "symmetric") as tf.Tensor4D;
    return tf.slice(model.G.apply(padded), [0, 0, 0, 0], [1, 6, 10, 3]);
  });
  assert.deepEqual(got.shape, [1, 6, 10, 3]);
  assert.deepEqual(got.dataSync(), want.dataSync());
  tf.dispose([odd, got, want]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadTrainedModel() reads our safetensors checkpoint with its config and encoder", async () => {
  const dir = await Deno.makeTempDir();
  const g = await loadPth(join(PARITY, "G_global.pth")), e = await loadPth(join(PARITY, "E_encoder.pth"));
  const config = JSON.stringify({ label_nc: 2, instance_feat: true, feat_num: 3, no_instance: false });
  await saveSafetensors(join(dir, "latest_net_G.safetensors"), g, { config });
  await saveSafetensors(join(dir, "latest_net_E.safetensors"), e, { config });
  const model = await loadTrainedModel(dir);
  assert.deepEqual([model.label_nc, model.feat_num, model.E!.options.feat_num], [2, 3, 3]);
  model.dispose();
  const wrong = JSON.stringify({ label_nc: 35, instance_feat: true, feat_num: 3 });
  await saveSafetensors(join(dir, "latest_net_G.safetensors"), g, { config: wrong });
  await assert.rejects(loadTrainedModel(dir), /the generator takes 6 input channels but the data gives 39/);
  await Deno.remove(join(dir, "latest_net_E.safetensors"));
  await saveSafetensors(join(dir, "latest_net_G.safetensors"), g, { config });
  await assert.rejects(
    loadTrainedModel(dir),
    /has no latest_net_E \(the encoder this instance_feat model needs\)/,
  );
  await assert.rejects(loadTrainedModel(dir, "7"), /has no 7_net_G\.safetensors or 7_net_G\.pth/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("synthesizePadded() pads and crops an asynchronous generator's input as synthesize does", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(join(PARITY, "G_global.pth"), join(dir, "latest_net_G.pth"));
  const model = await loadTrainedModel(dir);
  const before = tf.memory().numTensors;
  for (const [h, w] of [[6, 10], [8, 12]]) {
    const x = tf.randomUniform([1, h, w, 6], 0, 1, "float32", h) as tf.Tensor4D;
    const want = model.synthesize(x);
    const got = await synthesizePadded(x, model.multiple, (padded) => Promise.resolve(model.G.apply(padded)));
    assert.deepEqual(got.shape, [1, h, w, 3]);
    assert.deepEqual(got.dataSync(), want.dataSync());
    tf.dispose([x, want, got]);
  }
  assert.equal(tf.memory().numTensors, before);
  const tiny = tf.zeros([1, 1, 8, 6]) as tf.Tensor4D;
  await assert.rejects(() => synthesizePadded(tiny, 4, () => Promise.resolve(tiny)), {
    name: "RangeError",
    message: /Cannot synthesize a 8×1 image: its sides must be at least 4 pixels/,
  });
  tiny.dispose();
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});
