import assert from "node:assert/strict";
import { littleEndianBytes, type NdArray } from "../../../formats/ndarray.ts";
import { BUILTIN_GLOBALS, unpickle } from "../../../formats/pickle.ts";
import { loadPth, readPth } from "../../../formats/pth.ts";
import { openZip } from "../../../formats/zip.ts";
import { selectBackend } from "../../../backends/select.ts";
import { GlobalGenerator } from "../../../plugins/networks/global_generator.ts";
import { encodePth, torchOrder } from "../../../plugins/export/pth.ts";
import { OP, PickleWriter } from "../../../plugins/export/pickle_writer.ts";
import { FIXTURES } from "../../parity/_fixtures.ts";

await selectBackend("cpu");

function assertSameTensors(actual: Map<string, NdArray>, expected: ReadonlyMap<string, NdArray>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    assert.deepEqual(got.shape, want.shape, name);
    assert.equal(got.dtype, want.dtype, name);
    assert.deepEqual(littleEndianBytes(got), littleEndianBytes(want), name);
  }
}

/** Data offset of each entry, from its local header. */
function dataOffsets(bytes: Uint8Array): Map<string, number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out = new Map<string, number>();
  for (const e of openZip(bytes).entries.values()) {
    out.set(
      e.name,
      e.headerOffset + 30 + view.getUint16(e.headerOffset + 26, true) +
        view.getUint16(e.headerOffset + 28, true),
    );
  }
  return out;
}

Deno.test("an official .pth re-encoded reads back with our reader tensor for tensor, byte for byte", async () => {
  for (const name of ["G_global", "G_local", "E_encoder", "D_multiscale"]) {
    const official = await loadPth(`${FIXTURES}${name}.pth`);
    assertSameTensors(readPth(encodePth(official), name), official);
  }
});

Deno.test("a batch-norm generator's .pth keeps float32 weights and the int64 scalar num_batches_tracked", () => {
  const net = new GlobalGenerator({
    input_nc: 3,
    ngf: 2,
    n_downsample_global: 1,
    n_blocks_global: 1,
    norm: "batch",
  });
  const sd = net.stateDict();
  net.dispose();
  const back = readPth(encodePth(sd));
  assertSameTensors(back, sd);
  assert.deepEqual(back.get("model.2.num_batches_tracked")!.shape, []);
  assert.equal(back.get("model.2.num_batches_tracked")!.dtype, "int64");
});

Deno.test("the .pth is a torch.save zip: archive/ entries, stored, data 64-byte aligned, version 3", async () => {
  const sd = await loadPth(`${FIXTURES}G_global.pth`);
  const bytes = encodePth(sd);
  const zip = openZip(bytes);
  const names = [...zip.entries.keys()];
  assert.deepEqual(names, [
    "archive/data.pkl",
    "archive/byteorder",
    ...Array.from({ length: sd.size }, (_, i) => `archive/data/${i}`),
    "archive/version",
  ]);
  for (const e of zip.entries.values()) assert.equal(e.method, 0, `${e.name} is stored`);
  for (const [name, offset] of dataOffsets(bytes)) assert.equal(offset % 64, 0, `${name} data at ${offset}`);
  const text = (name: string) => new TextDecoder().decode(zip.read(zip.entries.get(name)!));
  assert.equal(text("archive/version"), "3\n");
  assert.equal(text("archive/byteorder"), "little");
  assert.deepEqual(encodePth(sd), bytes, "the same state_dict gives the same bytes");
});

Deno.test("data.pkl is a protocol-2 OrderedDict of _rebuild_tensor_v2 calls on persistent storages", async () => {
  const sd = await loadPth(`${FIXTURES}G_global.pth`);
  const zip = openZip(encodePth(sd));
  const pkl = zip.read(zip.entries.get("archive/data.pkl")!);
  const text = Array.from(pkl, (b) => String.fromCharCode(b)).join("");
  const count = (s: string) => text.split(s).length - 1;
  assert.deepEqual([...pkl.subarray(0, 2)], [OP.PROTO, 2]);
  assert.ok(text.startsWith("\x80\x02ccollections\nOrderedDict\n)R("), JSON.stringify(text.slice(0, 40)));
  assert.ok(text.endsWith("u."));
  assert.equal(count("ctorch._utils\n_rebuild_tensor_v2\n"), sd.size);
  assert.equal(count("ctorch\nFloatStorage\n"), sd.size);
  assert.equal(count("X\x07\x00\x00\x00storage"), sd.size);
  // each persistent id is the tuple ("storage", FloatStorage, key, "cpu", numel) then BINPERSID
  const length = (n: number) => String.fromCharCode(n, 0, 0, 0); // BINUNICODE's 4-byte length
  const pids = new RegExp(
    `\\(X${length(7)}storagectorch\\nFloatStorage\\nX[\\s\\S]{4}(\\d+)X${length(3)}cpu[KMJ][\\s\\S]{1,4}tQ`,
    "g",
  );
  assert.deepEqual([...text.matchAll(pids)].map((m) => Number(m[1])), [...sd.keys()].map((_, i) => i));
});

Deno.test("tensors are listed in PyTorch's state_dict order, as the official files list them", async () => {
  for (const name of ["G_global", "G_local", "E_encoder", "D_multiscale"]) {
    const official = [...(await loadPth(`${FIXTURES}${name}.pth`)).keys()];
    const shuffled = [...official].sort().reverse();
    assert.deepEqual(torchOrder(shuffled), official, name);
  }
  const net = new GlobalGenerator({
    input_nc: 3,
    ngf: 2,
    n_downsample_global: 1,
    n_blocks_global: 0,
    norm: "batch",
  });
  assert.deepEqual(torchOrder([...net.stateDict().keys()].reverse()).slice(2, 7), [
    "model.2.weight",
    "model.2.bias",
    "model.2.running_mean",
    "model.2.running_var",
    "model.2.num_batches_tracked",
  ]);
  net.dispose();
});

Deno.test("the pickle writer's integers read back with the shortest opcodes", () => {
  const values = [
    0,
    255,
    256,
    65535,
    65536,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 40,
    -(2 ** 50),
  ];
  const p = new PickleWriter().proto(2).op(OP.MARK);
  for (const v of values) p.int(v);
  const bytes = p.op(OP.TUPLE, OP.STOP).finish();
  assert.deepEqual(unpickle(bytes, { globals: BUILTIN_GLOBALS }).value, values);
  assert.deepEqual([...new PickleWriter().int(255).finish()], [OP.BININT1, 255]);
  assert.deepEqual([...new PickleWriter().int(256).finish()], [OP.BININT2, 0, 1]);
  assert.deepEqual([...new PickleWriter().int(2 ** 31).finish()], [OP.LONG1, 5, 0, 0, 0, 0x80, 0]);
});
