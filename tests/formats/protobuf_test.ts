import assert from "node:assert/strict";
import { ProtoWriter } from "../../formats/protobuf.ts";

const hex = (w: ProtoWriter) => [...w.finish()].map((b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("varint fields are written as the protobuf encoding guide shows", () => {
  assert.equal(hex(new ProtoWriter().int(1, 150)), "08 96 01");
  assert.equal(hex(new ProtoWriter().int(2, 300)), "10 ac 02");
  assert.equal(hex(new ProtoWriter().int(1, -1)), "08 ff ff ff ff ff ff ff ff ff 01");
  assert.equal(hex(new ProtoWriter().int(20, 7)), "a0 01 07");
});

Deno.test("strings, floats and nested messages are length-delimited or fixed32", () => {
  assert.equal(hex(new ProtoWriter().string(2, "testing")), "12 07 74 65 73 74 69 6e 67");
  assert.equal(hex(new ProtoWriter().float(2, 1e-5)), "15 ac c5 27 37");
  const inner = new ProtoWriter().int(1, 150);
  assert.equal(hex(new ProtoWriter().message(3, inner).int(4, 1)), "1a 03 08 96 01 20 01");
  const deep = new ProtoWriter().message(
    1,
    new ProtoWriter().message(2, new ProtoWriter().bytes(3, new Uint8Array(200))),
  );
  const bytes = deep.finish();
  assert.deepEqual([...bytes.subarray(0, 8)], [0x0a, 0xce, 0x01, 0x12, 0xcb, 0x01, 0x1a, 0xc8]);
  assert.equal(bytes.length, 3 + 3 + 3 + 200);
});
