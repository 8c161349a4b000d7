import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../../../kernel/errors.ts";
import { colorsToIds, idsToColors, type Palette } from "../../../plugins/data/palette.ts";
import { loadPalette, PALETTES } from "../../../plugins/data/palettes/mod.ts";

const tiny: Palette = { name: "tiny", colors: [[0, 0, 0], [255, 0, 0], [0, 255, 0]], names: ["a", "b", "c"] };

Deno.test("colour-coded labels convert to ids through a palette and back", () => {
  const ids = { width: 3, height: 1, channels: 1, data: Int32Array.from([2, 0, 1]) };
  const rgb = idsToColors(ids, tiny);
  assert.deepEqual(Array.from(rgb.data), [0, 255, 0, 0, 0, 0, 255, 0, 0]);
  assert.deepEqual(Array.from(colorsToIds(rgb, tiny, "l.png").data), [2, 0, 1]);
  const rgba = { width: 1, height: 1, channels: 4, data: Uint8Array.from([255, 0, 0, 17]) };
  assert.deepEqual(Array.from(colorsToIds(rgba, tiny, "l.png").data), [1]);
});

Deno.test("unknown colours are an error listing each colour, its pixel count and first position", () => {
  const rgb = { width: 3, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0, 1, 2, 3, 1, 2, 3]) };
  assert.throws(
    () => colorsToIds(rgb, tiny, "city/l.png"),
    (e: Error) =>
      e instanceof DataError && e.file === "city/l.png" &&
      /1 colour\(s\) are not in the tiny palette: #010203 \(2 px, first at x=1 y=0\)/.test(e.message),
  );
});

Deno.test("bundled palettes have one colour and one name per class", () => {
  assert.equal(PALETTES.cityscapes.colors.length, 35);
  assert.equal(PALETTES.cityscapes.names[26], "car");
  assert.deepEqual(PALETTES.cityscapes.colors[26], [0, 0, 142]);
  assert.equal(PALETTES.ade20k.colors.length, 151);
  assert.equal(PALETTES.ade20k.names[1], "wall");
  assert.equal(PALETTES.ade20k.names[150], "flag");
  assert.equal(PALETTES.helen.colors.length, 11);
  for (const p of Object.values(PALETTES)) assert.equal(p.names.length, p.colors.length);
});

Deno.test("a JSON palette file loads; a bad one is a DataError naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = join(dir, "p.json"), bad = join(dir, "bad.json");
    await Deno.writeTextFile(good, JSON.stringify({ colors: [[1, 2, 3], [4, 5, 6]], names: ["x", "y"] }));
    await Deno.writeTextFile(bad, JSON.stringify([[1, 2]]));
    assert.deepEqual(loadPalette(good).names, ["x", "y"]);
    assert.throws(() => loadPalette(bad), /bad\.json: must hold a list of \[r, g, b\] colours/);
    assert.throws(() => loadPalette("nope"), /nope: is neither a bundled palette/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
