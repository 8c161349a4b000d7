import assert from "node:assert/strict";
import { join } from "node:path";
import { zipSync } from "fflate";
import { CheckpointError } from "../../kernel/errors.ts";
import { loadNpy } from "../../formats/npy.ts";
import { loadPth, readPth } from "../../formats/pth.ts";
import { openZip } from "../../formats/zip.ts";
import {
  legacyCheckpoint,
  PickleWriter,
  stateDictPickle,
  type TensorSpec,
  zipCheckpoint,
} from "./torch_checkpoint_builder.ts";

const PARITY = new URL("../fixtures/pytorch-parity/", import.meta.url).pathname;
const manifest = JSON.parse(await Deno.readTextFile(join(PARITY, "manifest.json")));

/** Asserts `fn` throws a CheckpointError for `file` whose message matches `pattern`. */
function assertCheckpointError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${e}`);
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
}

const float32 = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

Deno.test("every parity checkpoint loads with the keys and shapes of the manifest", async () => {
  const checkpoints = Object.entries(manifest.files).filter(([name]) => name.endsWith(".pth"));
  assert.ok(checkpoints.length >= 7);
  for (const [name, info] of checkpoints as [string, { keys: Record<string, number[]> }][]) {
    const state = await loadPth(join(PARITY, name));
    assert.deepEqual([...state.keys()], Object.keys(info.keys), name);
    for (const [key, shape] of Object.entries(info.keys)) {
      const array = state.get(key)!;
      assert.deepEqual(array.shape, shape, `${name} ${key}`);
      assert.equal(array.dtype, "float32");
      assert.ok(array.data instanceof Float32Array);
      assert.equal(array.data.length, shape.reduce((a, b) => a * b, 1));
    }
  }
});

Deno.test("the zip and the legacy G_global checkpoints hold the same tensors", async () => {
  const zip = await loadPth(join(PARITY, "G_global.pth"));
  const legacy = await loadPth(join(PARITY, "G_global_legacy.pth"));
  assert.deepEqual(legacy, zip);
  assert.ok(zip.get("model.1.weight")!.data.some((v) => v !== 0));
});

Deno.test("checkpoint values equal the official .npy dumps of the same parameters", async () => {
  const g = await loadPth(join(PARITY, "G_global_after_step1.pth"));
  assert.deepEqual(
    g.get("model.1.weight"),
    await loadNpy(join(PARITY, "G_first_conv_weight_after_step1.npy")),
  );
  assert.deepEqual(g.get("model.1.bias"), await loadNpy(join(PARITY, "G_first_conv_bias_after_step1.npy")));
  const d = await loadPth(join(PARITY, "D_multiscale_after_step1.pth"));
  assert.deepEqual(
    d.get("scale0_layer0.0.weight"),
    await loadNpy(join(PARITY, "D_scale0_layer0_weight_after_step1.npy")),
  );
});

Deno.test("strided, offset and shared-storage tensors come out contiguous and independent", () => {
  // storage "0" = 0..11; "t" is its transpose view, "tail" starts at element 8, "same" reuses it.
  const tensors: TensorSpec[] = [
    {
      name: "module.w",
      storage: "FloatStorage",
      key: "0",
      numel: 12,
      offset: 0,
      shape: [3, 4],
      stride: [4, 1],
    },
    {
      name: "module.t",
      storage: "FloatStorage",
      key: "0",
      numel: 12,
      offset: 0,
      shape: [4, 3],
      stride: [1, 4],
    },
    {
      name: "module.tail",
      storage: "FloatStorage",
      key: "0",
      numel: 12,
      offset: 8,
      shape: [2, 2],
      stride: [2, 1],
    },
  ];
  const storage = float32(...Array.from({ length: 12 }, (_, i) => i));
  for (const bytes of [zipCheckpoint(stateDictPickle(tensors), { 0: storage })]) {
    const state = readPth(bytes, "strided.pth");
    assert.deepEqual([...state.keys()], ["w", "t", "tail"]);
    assert.deepEqual([...state.get("t")!.data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual([...state.get("tail")!.data], [8, 9, 10, 11]);
    state.get("w")!.data[8] = -1;
    assert.equal(state.get("tail")!.data[0], 8, "tensors sharing a storage do not alias");
  }
  const legacy = legacyCheckpoint(stateDictPickle(tensors, true), { 0: { numel: 12, bytes: storage } });
  assert.deepEqual(
    readPth(legacy, "strided_legacy.pth"),
    readPth(zipCheckpoint(stateDictPickle(tensors), { 0: storage })),
  );
});

Deno.test("legacy storage views (pre-0.4 checkpoints) read their slice of the root storage", () => {
  const t: TensorSpec = {
    name: "w",
    storage: "FloatStorage",
    key: "root",
    numel: 6,
    offset: 1,
    shape: [2],
    stride: [1],
    view: ["v", 2, 3],
  };
  const bytes = legacyCheckpoint(stateDictPickle([t], true), {
    root: { numel: 6, bytes: float32(0, 1, 2, 3, 4, 5) },
  });
  assert.deepEqual(readPth(bytes, "view.pth").get("w"), {
    shape: [2],
    dtype: "float32",
    data: Float32Array.of(3, 4),
  });
  const outside = legacyCheckpoint(stateDictPickle([{ ...t, view: ["v", 5, 3] }], true), {
    root: { numel: 6, bytes: float32(0, 1, 2, 3, 4, 5) },
  });
  assertCheckpointError(
    () => readPth(outside, "view.pth"),
    "view.pth",
    /storage view v lies outside storage root/,
  );
});

Deno.test("other dtypes and big-endian archives decode to the right values", () => {
  const spec = (name: string, storage: string, key: string, numel: number): TensorSpec => ({
    name,
    storage,
    key,
    numel,
    offset: 0,
    shape: [numel],
    stride: [1],
  });
  const tensors = [
    spec("half", "HalfStorage", "0", 2),
    spec("long", "LongStorage", "1", 2),
    spec("double", "DoubleStorage", "2", 1),
    spec("flag", "BoolStorage", "3", 2),
  ];
  const be = (bytes: Uint8Array, size: number) => {
    const out = bytes.slice();
    for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
    return out;
  };
  const little = {
    0: new Uint8Array(Uint16Array.of(0x3c00, 0xc000).buffer),
    1: new Uint8Array(BigInt64Array.of(-3n, 2n ** 40n).buffer),
    2: new Uint8Array(Float64Array.of(Math.E).buffer),
    3: Uint8Array.of(1, 0),
  };
  const big = { 0: be(little[0], 2), 1: be(little[1], 8), 2: be(little[2], 8), 3: little[3] };
  const expected = readPth(zipCheckpoint(stateDictPickle(tensors), little), "le.pth");
  assert.deepEqual(expected.get("half"), {
    shape: [2],
    dtype: "float16",
    data: Uint16Array.of(0x3c00, 0xc000),
  });
  assert.deepEqual(expected.get("long")!.data, BigInt64Array.of(-3n, 2n ** 40n));
  assert.deepEqual(expected.get("double")!.data, Float64Array.of(Math.E));
  assert.deepEqual(expected.get("flag"), { shape: [2], dtype: "bool", data: Uint8Array.of(1, 0) });
  assert.deepEqual(readPth(zipCheckpoint(stateDictPickle(tensors), big, "big"), "be.pth"), expected);
});

Deno.test("truncated checkpoints give a CheckpointError, whatever the cut", async () => {
  for (const name of ["G_global.pth", "G_global_legacy.pth", "E_encoder.pth"]) {
    const bytes = await Deno.readFile(join(PARITY, name));
    for (let i = 0; i < 40; i++) {
      const cut = Math.floor((bytes.length * i) / 40);
      assertCheckpointError(() => readPth(bytes.subarray(0, cut), "cut.pth"), "cut.pth", /./);
    }
    assertCheckpointError(() => readPth(bytes.subarray(0, bytes.length - 1), "cut.pth"), "cut.pth", /./);
  }
});

Deno.test("a corrupt zip directory or tensor data gives a CheckpointError", async () => {
  const bytes = await Deno.readFile(join(PARITY, "E_encoder.pth"));
  const directory = bytes.slice();
  directory.fill(0xff, bytes.length - 200, bytes.length - 30);
  assertCheckpointError(() => readPth(directory, "bad.pth"), "bad.pth", /corrupt or truncated zip archive/);
  const data = bytes.slice();
  data[Math.floor(bytes.length / 2)] ^= 1; // inside a tensor's storage: only the CRC-32 can tell
  assertCheckpointError(
    () => readPth(data, "bad.pth"),
    "bad.pth",
    /E_encoder\/data\/\d+ is corrupt \(CRC-32/,
  );
});

Deno.test("corrupt pickles give a CheckpointError or load, never a crash", async () => {
  const zip = openZip(await Deno.readFile(join(PARITY, "E_encoder.pth")));
  const files = Object.fromEntries([...zip.entries.values()].map((e) => [e.name, zip.read(e)]));
  const pickle = files["E_encoder/data.pkl"];
  const legacy = await Deno.readFile(join(PARITY, "G_global_legacy.pth"));
  for (let at = 2; at < pickle.length; at += 3) {
    const corrupt = pickle.slice();
    corrupt[at] ^= 0x5a;
    const flipped = legacy.slice();
    flipped[at + 135] ^= 0x5a; // the legacy main pickle starts at byte 137
    for (const bytes of [zipSync({ ...files, "E_encoder/data.pkl": corrupt }, { level: 0 }), flipped]) {
      try {
        readPth(bytes, "flip.pth");
      } catch (e) {
        assert.ok(e instanceof CheckpointError, `byte ${at}: ${e}`);
      }
    }
  }
});

Deno.test("files that are not state_dicts are refused with the reason", () => {
  const list = new PickleWriter().proto().raw(0x5d, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x65).stop();
  assertCheckpointError(
    () => readPth(zipCheckpoint(list, {})),
    "<pth>",
    /holds a list of 2, not a state_dict/,
  );
  const module = new PickleWriter().proto().global("models.networks", "GlobalGenerator").raw(0x29, 0x81)
    .stop();
  assertCheckpointError(
    () => readPth(zipCheckpoint(module, {}), "model.pth"),
    "model.pth",
    /models\.networks\.GlobalGenerator.*pickled Python object \(a whole nn\.Module\?\), not a state_dict/,
  );
  const withEpoch = new PickleWriter().proto().raw(0x7d, 0x28).str("epoch").int(3).raw(0x75).stop();
  assertCheckpointError(
    () => readPth(zipCheckpoint(withEpoch, {}), "e.pth"),
    "e.pth",
    /"epoch" is a number, not a tensor/,
  );
  const complex: TensorSpec = {
    name: "z",
    storage: "ComplexFloatStorage",
    key: "0",
    numel: 1,
    offset: 0,
    shape: [1],
    stride: [1],
  };
  assertCheckpointError(
    () => readPth(zipCheckpoint(stateDictPickle([complex]), { 0: float32(1, 2) }), "c.pth"),
    "c.pth",
    /unsupported dtype \(torch\.ComplexFloatStorage\)/,
  );
  const script = zipSync({ "m/constants.pkl": new Uint8Array(2), "m/code/m.py": new Uint8Array(1) }, {
    level: 0,
  });
  assertCheckpointError(() => readPth(script, "s.pth"), "s.pth", /TorchScript archive/);
  assertCheckpointError(
    () => readPth(new TextEncoder().encode("hello world")),
    "<pth>",
    /not a PyTorch checkpoint/,
  );
});

Deno.test("a checkpoint whose tensor data is short or whose view overruns its storage is refused", () => {
  const t: TensorSpec = {
    name: "w",
    storage: "FloatStorage",
    key: "0",
    numel: 4,
    offset: 0,
    shape: [4],
    stride: [1],
  };
  assertCheckpointError(
    () => readPth(zipCheckpoint(stateDictPickle([t]), { 0: float32(1, 2) }), "short.pth"),
    "short.pth",
    /storage 0 \(4 × float32\) needs 16 bytes, found 8/,
  );
  assertCheckpointError(
    () =>
      readPth(zipCheckpoint(stateDictPickle([{ ...t, offset: 2 }]), { 0: float32(1, 2, 3, 4) }), "over.pth"),
    "over.pth",
    /tensor "w": .*reads past the end of storage 0/,
  );
  assertCheckpointError(
    () => readPth(zipCheckpoint(stateDictPickle([t]), {}), "missing.pth"),
    "missing.pth",
    /lacks archive\/data\/0/,
  );
});

Deno.test("loadPth on a missing file says so", async () => {
  await assert.rejects(loadPth("/nonexistent/G.pth"), CheckpointError);
});
