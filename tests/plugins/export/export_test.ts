import assert from "node:assert/strict";
import { join } from "node:path";
import { selectBackend } from "../../../backends/select.ts";
import { CheckpointError, OptionsError } from "../../../kernel/errors.ts";
import { littleEndianBytes } from "../../../formats/ndarray.ts";
import { loadPth, readPth } from "../../../formats/pth.ts";
import { loadSafetensors } from "../../../formats/safetensors.ts";
import { openGenerator } from "../../../plugins/inference/generator_file.ts";
import { CHECKPOINT_FORMAT, saveCheckpoint } from "../../../plugins/train/checkpoint.ts";
import { trainStatePath } from "../../../plugins/checkpoints/files.ts";
import { exportWeights, onnxSizeProblem, resolveFormat } from "../../../plugins/export/export.ts";
import { FIXTURES } from "../../parity/_fixtures.ts";

await selectBackend("cpu");

Deno.test("an official .pth converts to our safetensors with its architecture as config, and opens as the same generator", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "latest_net_G.safetensors");
  const result = await exportWeights(`${FIXTURES}G_local.pth`, "safetensors", out);
  assert.equal(result.network, "G");
  assert.match(result.architecture, /^local generator \(1 enhancers\), ngf 4/);
  const { tensors, metadata } = await loadSafetensors(out);
  assert.equal(metadata.format, CHECKPOINT_FORMAT);
  assert.equal(metadata.network, "G");
  const config = JSON.parse(metadata.config);
  assert.deepEqual(
    [
      config.netG,
      config.ngf,
      config.n_downsample_global,
      config.n_blocks_global,
      config.n_local_enhancers,
      config.n_blocks_local,
    ],
    ["local", 4, 2, 2, 1, 1],
  );
  assert.equal(config.input_nc, undefined, "input_nc is the training option for image channels: not written");
  const official = await loadPth(`${FIXTURES}G_local.pth`);
  assert.deepEqual([...tensors.keys()].sort(), [...official.keys()].sort());
  for (const [name, a] of official) {
    assert.deepEqual(littleEndianBytes(tensors.get(name)!), littleEndianBytes(a), name);
  }
  const opened = await openGenerator(out);
  assert.equal(opened.netG, "local");
  assert.equal(opened.input_nc, 6);
  opened.net.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("our safetensors keeps its training config through export, and converts to a .pth of the same tensors", async () => {
  const dir = await Deno.makeTempDir();
  const ours = join(dir, "latest_net_E.safetensors");
  await exportWeights(`${FIXTURES}E_encoder.pth`, "safetensors", ours);
  const withConfig = join(dir, "again_net_E.safetensors");
  await exportWeights(ours, "safetensors", withConfig);
  const { metadata } = await loadSafetensors(withConfig);
  assert.equal(metadata.network, "E");
  assert.deepEqual(JSON.parse(metadata.config), { feat_num: 3, nef: 4, n_downsample_E: 2, norm: "instance" });
  const pth = join(dir, "latest_net_E.pth");
  const result = await exportWeights(withConfig, "pth", pth);
  assert.equal(result.tensors, 12);
  const official = await loadPth(`${FIXTURES}E_encoder.pth`);
  const back = readPth(await Deno.readFile(pth));
  for (const [name, a] of official) {
    assert.deepEqual(littleEndianBytes(back.get(name)!), littleEndianBytes(a), name);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the network is told by the tensors when the name does not say; a discriminator goes to pth but not ONNX", async () => {
  const dir = await Deno.makeTempDir();
  const encoder = await exportWeights(`${FIXTURES}E_encoder.pth`, "onnx", join(dir, "e.onnx"));
  assert.equal(encoder.network, "E");
  const generator = await exportWeights(`${FIXTURES}G_global.pth`, "onnx", join(dir, "g.onnx"));
  assert.equal(generator.network, "G");
  const d = await exportWeights(`${FIXTURES}D_multiscale.pth`, "pth", join(dir, "d.pth"));
  assert.equal(d.network, "D");
  await assert.rejects(
    () => exportWeights(`${FIXTURES}D_multiscale.pth`, "onnx", join(dir, "d.onnx")),
    (e: Error) =>
      e instanceof OptionsError &&
      /onnx cannot represent .*D_multiscale\.pth: it is a discriminator/.test(e.message),
  );
  await assert.rejects(() => Deno.stat(join(dir, "d.onnx")), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a file named as an encoder that holds a generator is refused naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const misnamed = join(dir, "latest_net_E.pth");
  await Deno.copyFile(`${FIXTURES}G_global.pth`, misnamed);
  await assert.rejects(
    () => exportWeights(misnamed, "onnx", join(dir, "e.onnx")),
    (e: Error) =>
      e instanceof CheckpointError && e.message.startsWith(misnamed) && /residual blocks/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the format comes from --format or --out's extension; unknown or contradicting ones are refused", () => {
  assert.equal(resolveFormat(null, "g.onnx"), "onnx");
  assert.equal(resolveFormat(null, "g.PTH"), "pth");
  assert.equal(resolveFormat("safetensors", "g.bin"), "safetensors");
  assert.throws(() => resolveFormat(null, "g.bin"), /"format" is needed: g\.bin has no \.onnx/);
  assert.throws(
    () => resolveFormat("tflite", "g.tflite"),
    /"tflite" is not a format export writes; choose one of onnx, pth, safetensors/,
  );
  assert.throws(() => resolveFormat("onnx", "g.pth"), /is onnx but --out g\.pth has the extension of pth/);
});

Deno.test("weights over the 2 GiB an ONNX file holds are refused before anything is encoded", () => {
  const small = new Map([["model.1.weight", {
    shape: [64, 36, 7, 7],
    dtype: "float32" as const,
    data: new Float32Array(1),
  }]]);
  assert.equal(onnxSizeProblem(small, "G.pth"), null);
  const huge = new Map([["model.1.weight", {
    shape: [600_000_000],
    dtype: "float16" as const,
    data: new Uint16Array(1),
  }]]);
  assert.match(
    onnxSizeProblem(huge, "G.pth")!,
    /^onnx cannot represent G\.pth: its weights take 2\.24 GiB as float32/,
  );
});

Deno.test("a training checkpoint's network files export and its training-state file is refused naming the right file", async () => {
  const dir = await Deno.makeTempDir();
  const G = await loadPth(`${FIXTURES}G_global.pth`);
  const state = new Map([["adam.G.step", {
    shape: [1],
    dtype: "float32" as const,
    data: new Float32Array(1),
  }]]);
  await saveCheckpoint(dir, "latest", {
    networks: new Map([["G", G]]),
    state,
    trainer: { epoch: 1 },
    config: { label_nc: 5 },
  });
  const result = await exportWeights(join(dir, "latest_net_G.safetensors"), "onnx", join(dir, "G.onnx"));
  assert.equal(result.network, "G");
  await assert.rejects(
    () => exportWeights(trainStatePath(dir, "latest"), "onnx", join(dir, "state.onnx")),
    (e: Error) =>
      e instanceof CheckpointError &&
      /is a training state .* export latest_net_G or _net_E beside it/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});
