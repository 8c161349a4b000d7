import assert from "node:assert/strict";
import { DataError } from "../../kernel/errors.ts";
import { BUILTIN_GLOBALS, PickleCallable, unpickle } from "../../formats/pickle.ts";
import { PickleWriter } from "./torch_checkpoint_builder.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

Deno.test("unpickle reads CPython's protocols 2 to 5 into plain values", async () => {
  for (const protocol of [2, 3, 4, 5]) {
    const bytes = await Deno.readFile(`${FIXTURES}pickle_p${protocol}.pkl`);
    const { value, end } = unpickle(bytes, { globals: BUILTIN_GLOBALS });
    assert.equal(end, bytes.length);
    assert.ok(value instanceof Map);
    const v = value as Map<string, unknown>;
    assert.deepEqual(v.get("a"), [1, 2.5, null, true, false], `protocol ${protocol}`);
    assert.equal(v.get("self"), v.get("a"), "memoised references stay shared");
    const b = v.get("b") as unknown[];
    assert.ok(Object.isFrozen(b), "tuples are frozen");
    assert.deepEqual(b, [Uint8Array.of(0x78, 0x79), "hé", 2n ** 70n, -5, -(2 ** 31), 65535, 300]);
    assert.deepEqual(v.get("c"), new Set([1, 2]));
    assert.deepEqual(v.get("d"), new Set([3]));
    assert.deepEqual(v.get("e"), new Map([["k", Uint8Array.of(0x7a)]]));
    assert.deepEqual(v.get("f"), [[]]);
    assert.equal(v.get("big"), "x".repeat(300));
  }
});

Deno.test("unpickle resolves globals only through the table it is given", () => {
  const point = new PickleCallable(
    "geometry.Point",
    (args) => ({ x: args[0], y: args[1] }),
    (value, state) => Object.assign(value as object, { label: (state as Map<string, unknown>).get("label") }),
  );
  const bytes = new PickleWriter().proto().global("geometry", "Point").tuple(
    (w) => w.int(3),
    (w) => w.int(-4),
  )
    .raw(0x52, 0x7d).str("label").str("p").raw(0x73, 0x62).stop();
  assert.deepEqual(unpickle(bytes, { globals: new Map([["geometry.Point", point]]) }).value, {
    x: 3,
    y: -4,
    label: "p",
  });
  assert.throws(
    () => unpickle(bytes, { globals: BUILTIN_GLOBALS, file: "p.pkl", unknownGlobalHint: () => "try X" }),
    (e) =>
      e instanceof DataError &&
      e.message === "p.pkl: invalid pickle at byte 2: it uses the Python global geometry.Point, " +
          "which is not allowed here; try X",
  );
  const os = new PickleWriter().proto().global("os", "system").tuple((w) => w.str("rm -rf /")).raw(0x52)
    .stop();
  assert.throws(() => unpickle(os, { globals: BUILTIN_GLOBALS }), /os\.system, which is not allowed/);
});

Deno.test("unpickle maps Python 2 module names and reads several pickles in a row", () => {
  const first = new PickleWriter().proto().global("__builtin__", "set").tuple((w) =>
    w.raw(0x5d).int(7).raw(0x61)
  ).raw(0x52).stop();
  const second = new PickleWriter().proto().int(9).stop();
  const both = new Uint8Array([...first, ...second]);
  const a = unpickle(both, { globals: BUILTIN_GLOBALS });
  assert.deepEqual(a.value, new Set([7]));
  assert.deepEqual(unpickle(both, { globals: BUILTIN_GLOBALS, offset: a.end }), {
    value: 9,
    end: both.length,
  });
});

Deno.test("unpickle passes persistent ids to persistentLoad and refuses them without it", () => {
  const bytes = new PickleWriter().proto().tuple((w) => w.str("storage"), (w) => w.int(1)).raw(0x51).stop();
  const loaded = unpickle(bytes, { globals: BUILTIN_GLOBALS, persistentLoad: (pid) => ({ pid }) });
  assert.deepEqual(loaded.value, { pid: ["storage", 1] });
  assert.throws(() => unpickle(bytes, { globals: BUILTIN_GLOBALS }), /references external data/);
});

Deno.test("malformed pickles give one-line errors from the error factory", () => {
  const error = (message: string) => new RangeError(`custom: ${message}`);
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.of(0x80, 0x02, 0x4a, 0x01), /truncated/],
    [Uint8Array.of(0x80, 0x06, 0x4e, 0x2e), /protocol 6 is not supported/],
    [Uint8Array.of(0x80, 0x02, 0x53, 0x27, 0x2e), /unsupported opcode 0x53/],
    [Uint8Array.of(0x80, 0x02, 0x68, 0x05, 0x2e), /memo entry 5 is missing/],
    [Uint8Array.of(0x80, 0x02, 0x30, 0x2e), /stack underflow/],
    [Uint8Array.of(0x80, 0x02, 0x4e, 0x4e, 0x2e), /unbalanced stack/],
    [Uint8Array.of(0x80, 0x02, 0x4e, 0x29, 0x52, 0x2e), /cannot call None/],
    [Uint8Array.of(0x80, 0x02, 0x29, 0x4e, 0x61, 0x2e), /cannot append to a tuple of 0/],
    [Uint8Array.of(0x80, 0x02, 0x7d, 0x4e, 0x62, 0x2e), /cannot set the state of a dict/],
    [Uint8Array.of(0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e), /truncated/],
    [Uint8Array.of(0x80, 0x02, 0x74, 0x2e), /no MARK/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => unpickle(bytes, { globals: BUILTIN_GLOBALS, error }), (e) => {
      assert.ok(
        e instanceof RangeError && e.message.startsWith("custom: invalid pickle at byte "),
        String(e),
      );
      assert.match(e.message, pattern);
      return true;
    });
  }
});
