/**
 * The bundled palettes by name, and loading a palette from a JSON file.
 *
 * @module
 */
import { DataError } from "../../../kernel/errors.ts";
import type { Palette } from "../palette.ts";
import { ADE20K_PALETTE } from "./ade20k.ts";
import { CITYSCAPES_PALETTE } from "./cityscapes.ts";
import { HELEN_PALETTE } from "./helen.ts";

/** Bundled palettes by dataset name. */
export const PALETTES: Readonly<Record<string, Palette>> = {
  cityscapes: CITYSCAPES_PALETTE,
  ade20k: ADE20K_PALETTE,
  helen: HELEN_PALETTE,
};

/**
 * A palette by bundled name, or from a JSON file: `[[r,g,b], …]` or `{ "colors": [[r,g,b], …], "names": […] }`.
 *
 * @param nameOrFile "cityscapes", "ade20k", "helen" or a path to a JSON file
 * @returns the palette
 * @throws {DataError} when the file is missing or is not a list of [r, g, b] colours
 */
export function loadPalette(nameOrFile: string): Palette {
  if (PALETTES[nameOrFile]) return PALETTES[nameOrFile];
  let json: unknown;
  try {
    json = JSON.parse(Deno.readTextFileSync(nameOrFile));
  } catch (error) {
    throw new DataError(
      nameOrFile,
      `is neither a bundled palette (${Object.keys(PALETTES).join(", ")}) nor a readable JSON palette ` +
        `(${(error as Error).message})`,
    );
  }
  const obj = json as { colors?: unknown; names?: unknown };
  const colors = Array.isArray(json) ? json : obj.colors;
  const valid = Array.isArray(colors) &&
    colors.every((c) =>
      Array.isArray(c) && c.length === 3 && c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)
    );
  if (!valid) {
    throw new DataError(nameOrFile, `must hold a list of [r, g, b] colours (0–255), one per class id`);
  }
  const list = colors as [number, number, number][];
  const names = Array.isArray(obj.names) ? obj.names.map(String) : list.map((_, i) => `class ${i}`);
  return { name: nameOrFile, colors: list, names };
}
