import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Checkpoint,
  hasCheckpoint,
  loadCheckpoint,
  loadNetworkWeights,
  readCheckpointInfo,
  saveCheckpoint,
  writeDurably,
} from "../../../plugins/train/checkpoint.ts";
import { networkOfPath, networkPath, trainStatePath } from "../../../plugins/checkpoints/files.ts";
import { decodeSafetensors } from "../../../formats/safetensors.ts";
import { CheckpointError } from "../../../kernel/errors.ts";
import type { NdArray } from "../../../formats/ndarray.ts";

function array(values: number[], shape = [values.length]): NdArray {
  return { shape, dtype: "float32", data: Float32Array.from(values) };
}

function checkpoint(v: number): Checkpoint {
  return {
    networks: new Map([
      [
        "G",
        new Map([["model.1.weight", array([v, v + 1, v + 2, v + 3], [1, 1, 2, 2])], [
          "model.1.bias",
          array([v]),
        ]]),
      ],
      ["D", new Map([["scale0_layer0.0.weight", array([-v], [1, 1, 1, 1])]])],
    ]),
    state: new Map([["optimizer_G.exp_avg.G.model.1.bias", array([v / 10])]]),
    trainer: { epoch: v, total_steps: 10 * v, rng: [1, 2, 3, v] },
    config: { name: "run", ngf: 8 },
  };
}

/** A writer that writes half of the second file it is given, then fails like a full disk. */
function fullDiskAfterFirstFile(): (path: string, bytes: Uint8Array) => Promise<void> {
  let calls = 0;
  return async (path, bytes) => {
    if (++calls < 2) return await writeDurably(path, bytes);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length >> 1));
    await Deno.writeFile("/dev/full", bytes); // on Linux this fails with the OS's own ENOSPC error
    throw new Error("No space left on device (os error 28)");
  };
}

Deno.test("saveCheckpoint() writes official-name safetensors per network and loadCheckpoint() reads them back", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, "latest", checkpoint(1));
  assert.ok(await hasCheckpoint(dir, "latest"));
  assert.ok(!(await hasCheckpoint(dir, "7")));
  const g = decodeSafetensors(await Deno.readFile(networkPath(dir, "latest", "G")));
  assert.deepEqual([...g.tensors.keys()].sort(), ["model.1.bias", "model.1.weight"]);
  assert.deepEqual(g.tensors.get("model.1.weight")!.shape, [1, 1, 2, 2]);
  assert.equal(g.metadata.network, "G");
  assert.deepEqual(JSON.parse(g.metadata.config), { name: "run", ngf: 8 });
  const back = await loadCheckpoint(dir, "latest");
  assert.deepEqual([...back.networks.get("D")!.get("scale0_layer0.0.weight")!.data], [-1]);
  assert.deepEqual(back.trainer, { epoch: 1, total_steps: 10, rng: [1, 2, 3, 1] });
  assert.deepEqual([...back.state.get("optimizer_G.exp_avg.G.model.1.bias")!.data], [Math.fround(0.1)]);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tmp")), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a full disk while checkpointing leaves the previous checkpoint readable and no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, "latest", checkpoint(1));
  await assert.rejects(
    () => saveCheckpoint(dir, "latest", checkpoint(2), fullDiskAfterFirstFile()),
    (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(
        e.message,
        /latest_net_G\.safetensors: could not be written \(.*No space left on device.*\); the previous "latest" checkpoint is intact/,
      );
      return true;
    },
  );
  const back = await loadCheckpoint(dir, "latest");
  assert.equal(back.trainer.epoch, 1);
  assert.deepEqual([...back.networks.get("G")!.get("model.1.bias")!.data], [1]);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tmp")), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadCheckpoint() refuses a network file from another save", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, "latest", checkpoint(1));
  const other = await Deno.makeTempDir();
  await saveCheckpoint(other, "latest", checkpoint(2));
  await Deno.copyFile(networkPath(other, "latest", "D"), networkPath(dir, "latest", "D"));
  await assert.rejects(
    () => loadCheckpoint(dir, "latest"),
    /latest_net_D\.safetensors: belongs to another save .* the save was interrupted/,
  );
  await Deno.remove(networkPath(dir, "latest", "D"));
  await assert.rejects(
    () => loadCheckpoint(dir, "latest"),
    /latest_net_D\.safetensors: network D of checkpoint "latest" does not exist/,
  );
  await Deno.writeFile(trainStatePath(dir, "latest"), new TextEncoder().encode("garbage"));
  await assert.rejects(() => loadCheckpoint(dir, "latest"), CheckpointError);
  await Promise.all([dir, other].map((d) => Deno.remove(d, { recursive: true })));
});

Deno.test("loadNetworkWeights() reads ours or the official .pth, and names both when neither is there", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, "latest", checkpoint(3));
  const ours = await loadNetworkWeights(dir, "latest", "G");
  assert.equal(ours.file, networkPath(dir, "latest", "G"));
  await Deno.copyFile("tests/fixtures/pytorch-parity/G_global.pth", join(dir, "5_net_G.pth"));
  const official = await loadNetworkWeights(dir, "5", "G");
  assert.deepEqual(official.tensors.get("model.1.weight")!.shape, [8, 6, 7, 7]);
  await assert.rejects(
    () => loadNetworkWeights(dir, "9", "E"),
    /has no 9_net_E\.safetensors or 9_net_E\.pth/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readCheckpointInfo() reads the run state from the header alone, null when there is none", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await readCheckpointInfo(dir, "latest"), null);
  await saveCheckpoint(dir, "latest", checkpoint(4));
  const info = await readCheckpointInfo(dir, "latest");
  assert.deepEqual(info, {
    trainer: { epoch: 4, total_steps: 40, rng: [1, 2, 3, 4] },
    config: { name: "run", ngf: 8 },
  });
  await Deno.writeFile(trainStatePath(dir, "latest"), new Uint8Array(4));
  await assert.rejects(
    () => readCheckpointInfo(dir, "latest"),
    /latest_train_state\.safetensors: is not a training checkpoint of ours/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the network of a checkpoint file is read back from the name networkPath and the official code give it", () => {
  assert.equal(networkOfPath(networkPath("checkpoints/run", "latest", "G")), "G");
  assert.equal(networkOfPath("/x/10_net_E.pth"), "E");
  assert.equal(networkOfPath("/x/latest_net_D.safetensors"), "D");
  assert.equal(networkOfPath("/x/G_global.pth"), null);
  assert.equal(networkOfPath("/x/latest_net_G.onnx"), null);
});
