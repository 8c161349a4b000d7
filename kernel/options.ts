/**
 * Typed option schemas with defaults in one place, and their validation. Every plugin, network and
 * command declares a schema; `resolveOptions` merges the user's values over the defaults and rejects
 * unknown keys, wrong types and out-of-range values with an `OptionsError` that lists what is valid.
 *
 * Option keys use the official pix2pixHD spellings (`ngf`, `n_downsample_global`, `label_nc`, …), the
 * names our users type and search for, in TypeScript, on the command line and in checkpoints alike.
 *
 * @module
 */
import { OptionsError } from "./errors.ts";

/** An integer option. */
export interface IntSpec {
  type: "int";
  default: number | null;
  min?: number;
  max?: number;
  doc: string;
}
/** A real-number option. */
export interface NumberSpec {
  type: "number";
  default: number | null;
  min?: number;
  max?: number;
  doc: string;
}
/** An on/off option (a bare `--flag` on the command line). */
export interface BooleanSpec {
  type: "boolean";
  default: boolean;
  doc: string;
}
/** A free-form string option (a path, a name). */
export interface StringSpec {
  type: "string";
  default: string | null;
  doc: string;
}
/** One of a fixed list of strings. */
export interface EnumSpec<C extends string = string> {
  type: "enum";
  default: C;
  choices: readonly C[];
  doc: string;
}
/** A list of strings: a flag given once per value on the command line (`--plugin a.ts --plugin b.ts`). */
export interface ListSpec {
  type: "list";
  default: readonly string[];
  doc: string;
}
/** Any option. */
export type OptionSpec = IntSpec | NumberSpec | BooleanSpec | StringSpec | EnumSpec | ListSpec;
/** A plugin's or command's options: key → spec. */
export type Schema = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends EnumSpec<infer C> ? C
  : S extends BooleanSpec ? boolean
  : S extends ListSpec ? string[]
  : S extends StringSpec ? (S["default"] extends null ? string | null : string)
  : S extends IntSpec | NumberSpec ? (S["default"] extends null ? number | null : number)
  : never;

/** The resolved options object a schema describes. */
export type OptionsOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/**
 * Declares a schema, keeping its literal types (use `as const` is not needed).
 *
 * @example
 * ```ts
 * const schema = defineSchema({ ngf: { type: "int", default: 64, min: 1, doc: "generator filters" } });
 * ```
 */
export function defineSchema<const S extends Schema>(schema: S): S {
  return schema;
}

/**
 * Some options of a schema, in the order given: how a recipe's schema is composed from the schemas of
 * the plugins it runs, each option declared once, by the plugin it belongs to.
 *
 * @example
 * ```ts
 * const trainSchema = defineSchema({
 *   ...pick(globalGeneratorSchema, "ngf", "n_blocks_global"),
 *   niter: { type: "int", default: 100, min: 0, doc: "epochs at the starting learning rate" },
 * });
 * ```
 */
export function pick<S extends Schema, const K extends keyof S & string>(
  schema: S,
  ...keys: K[]
): Pick<S, K> {
  const out = {} as Pick<S, K>;
  for (const key of keys) out[key] = schema[key];
  return out;
}

/** The defaults of a schema as an options object. */
export function defaultsOf<S extends Schema>(schema: S): OptionsOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    out[key] = spec.type === "list" ? [...spec.default] : spec.default;
  }
  return out as OptionsOf<S>;
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The candidate closest to `word`, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function checkValue(owner: string, key: string, spec: OptionSpec, value: unknown): unknown {
  const fail = (constraint: string): never => {
    throw new OptionsError(owner, key, `${constraint}: current value is ${JSON.stringify(value)}`);
  };
  if (
    value === null && spec.type !== "boolean" && spec.type !== "enum" && spec.type !== "list" &&
    spec.default === null
  ) {
    return null;
  }
  switch (spec.type) {
    case "int":
    case "number": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || Number.isNaN(n)) fail(`must be a number`);
      const num = n as number;
      if (spec.type === "int" && !Number.isInteger(num)) fail(`must be an integer`);
      const lo = spec.min ?? -Infinity, hi = spec.max ?? Infinity;
      if (num < lo || num > hi) {
        const range = `${spec.min ?? "-∞"}, ${spec.max ?? "∞"}`;
        fail(`must be ${spec.type === "int" ? "an integer" : "a number"} in [${range}]`);
      }
      return num;
    }
    case "boolean":
      if (value === "true" || value === "false") return value === "true";
      if (typeof value !== "boolean") fail(`must be true or false`);
      return value;
    case "string":
      if (typeof value !== "string") fail(`must be a string`);
      return value;
    case "enum":
      if (typeof value !== "string" || !spec.choices.includes(value)) {
        fail(`must be one of ${spec.choices.map((c) => `"${c}"`).join(", ")}`);
      }
      return value;
    case "list": {
      const list = typeof value === "string" ? [value] : value;
      if (!Array.isArray(list) || !list.every((v) => typeof v === "string")) {
        fail(`must be a list of strings`);
      }
      return [...(list as string[])];
    }
  }
}

/**
 * Merges `given` over the schema's defaults and validates every value.
 *
 * @param owner the plugin or command, named in errors
 * @param schema the option schema
 * @param given the user's options (undefined values mean "use the default")
 * @returns the complete, validated options
 * @throws {OptionsError} on an unknown key (with the closest valid key), a wrong type or a value out of range
 */
export function resolveOptions<S extends Schema>(
  owner: string,
  schema: S,
  given: Record<string, unknown> = {},
): OptionsOf<S> {
  const out: Record<string, unknown> = defaultsOf(schema);
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const spec = schema[key];
    if (!spec) {
      const hint = closest(key, Object.keys(schema));
      throw new OptionsError(
        owner,
        key,
        `is not an option${hint ? ` (did you mean "${hint}"?)` : ""}; valid options: ${
          Object.keys(schema).join(", ")
        }`,
      );
    }
    out[key] = checkValue(owner, key, spec, value);
  }
  return out as OptionsOf<S>;
}

/** The options that differ from the defaults, for printing and saving a run's config diff. */
export function diffFromDefaults<S extends Schema>(schema: S, options: OptionsOf<S>): Partial<OptionsOf<S>> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const value = (options as Record<string, unknown>)[key];
    const same = spec.type === "list"
      ? Array.isArray(value) && JSON.stringify(value) === JSON.stringify(spec.default)
      : value === spec.default;
    if (!same) out[key] = value;
  }
  return out as Partial<OptionsOf<S>>;
}
