import assert from "node:assert/strict";
import { decode } from "fast-png";
import { tf } from "../../../backends/tf.ts";
import { pipeline } from "../../../kernel/pipeline.ts";
import "../../../plugins/mod.ts";

const fixtures = new URL("../../fixtures/pytorch-parity/", import.meta.url).pathname;
await tf.setBackend("cpu");

async function alignedFolder(): Promise<string> {
  const root = await Deno.makeTempDir();
  for (const [dir, file] of [["test_label", "label.png"], ["test_inst", "inst.png"]]) {
    await Deno.mkdir(`${root}/${dir}`);
    await Deno.copyFile(`${fixtures}${file}`, `${root}/${dir}/scene.png`);
  }
  return root;
}

/** The test scene of an aligned folder read, with boundaries and one-hot labels, up to the generator input. */
function generatorInputs(root: string) {
  return pipeline()
    .from("aligned", {
      dataroot: root,
      phase: "test",
      label_nc: 5,
      resize_or_crop: "none",
      no_flip: true,
      n_downsample_global: 2,
      prefetch: 0,
    })
    .use("boundaries")
    .use("one-hot", { label_nc: 5 })
    .use("generator-input", { label_nc: 5 });
}

Deno.test("a pipeline of registered plugins synthesizes a folder into PNGs and a report, without leaks", async () => {
  const root = await alignedFolder();
  const out = await Deno.makeTempDir();
  const before = tf.memory().numTensors;
  const result = await generatorInputs(root)
    .use("generate", { weights: `${fixtures}G_global.pth`, label_nc: 5 })
    .to("write-images", { dir: out, label_nc: 5 })
    .run();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(result.files, [`${out}/images/scene_synthesized_image.png`]);
  const png = decode(await Deno.readFile(result.files[0]));
  assert.deepEqual([png.width, png.height], [64, 32]);
  assert.match(
    await Deno.readTextFile(result.report),
    /scene_input_label\.png.*scene_synthesized_image\.png/s,
  );
});

Deno.test("generate checks the input against the generator and names the flag that is off", async () => {
  const root = await alignedFolder();
  const run = pipeline()
    .from("aligned", {
      dataroot: root,
      phase: "test",
      label_nc: 5,
      no_instance: true,
      resize_or_crop: "none",
      n_downsample_global: 2,
      prefetch: 0,
    })
    .use("one-hot", { label_nc: 5 })
    .use("generator-input", { label_nc: 5, no_instance: true })
    .use("generate", { weights: `${fixtures}G_global.pth`, label_nc: 5, no_instance: true })
    .to("write-images", { dir: await Deno.makeTempDir() });
  await assert.rejects(run.run(), /trained with instance maps .* drop --no_instance/);
});

Deno.test("generate with runtime onnxruntime writes the tfjs runtime's image, without leaks", async () => {
  const root = await alignedFolder();
  const pngs: Uint8Array[] = [];
  for (const runtime of ["tfjs", "onnxruntime"] as const) {
    const out = await Deno.makeTempDir();
    const before = tf.memory().numTensors;
    const result = await generatorInputs(root)
      .use("generate", { weights: `${fixtures}G_local.pth`, label_nc: 5, runtime, intra_op_threads: 1 })
      .to("write-images", { dir: out, label_nc: 5 })
      .run();
    assert.equal(tf.memory().numTensors, before, runtime);
    pngs.push(decode(await Deno.readFile(result.files[0])).data as Uint8Array);
  }
  const [a, b] = pngs;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= 1, `${worst} levels apart`);
});
