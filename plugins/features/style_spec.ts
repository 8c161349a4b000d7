/**
 * Which style each instance gets at synthesis: a user's choices per instance or per class (a cluster
 * index or a raw feature vector), and a seed for the random cluster of every other instance.
 *
 * On the command line (`synth --style …`), choices are comma-separated `key=value` pairs:
 *
 * - key: a class name (`car`, `traffic light` or `traffic_light`, any case), a class id below 1000
 *   (`26`), or an instance id of 1000 and above (`26001`: class 26, instance 1);
 * - value: a cluster index (`3`) or a feature vector in brackets (`[0.1,-0.2,0.3]`).
 *
 * `--style car=3,road=0` and `--style 26=3,26001=[0.1,0.2,0.3]`. Or a JSON file (`--style styles.json`):
 *
 * ```json
 * { "seed": 7, "classes": { "car": 3, "road": [0.1, 0.2, 0.3] }, "instances": { "26001": 2 } }
 * ```
 *
 * An instance's own choice beats its class's; instances without a choice draw a random cluster.
 *
 * @module
 */
import { closest } from "../../kernel/options.ts";
import { DataError, OptionsError } from "../../kernel/errors.ts";

/** One choice: a cluster index of the instance's class, or a raw feature vector (`feat_num` values). */
export type StyleChoice = number | readonly number[];

/** The user's style choices. */
export interface StyleSpec {
  /** Seeds the random cluster drawn for every instance without a choice. */
  seed: number;
  /** Class id → choice for every instance of that class. */
  classes: Map<number, StyleChoice>;
  /** Instance id → choice (beats its class's). */
  instances: Map<number, StyleChoice>;
}

/**
 * A spec with no choices: every instance draws a random cluster from `seed`.
 *
 * @param seed the seed
 * @returns the spec
 */
export function randomStyle(seed = 0): StyleSpec {
  return { seed, classes: new Map(), instances: new Map() };
}

function normalName(name: string): string {
  return name.trim().toLowerCase().replace(/[_\s]+/g, " ");
}

/**
 * Resolves a style key to a class or an instance.
 *
 * @param key a class name, a class id (< 1000) or an instance id (≥ 1000)
 * @param classNames the dataset's class names, by id
 * @param where the option or file, named in errors
 * @returns `{ kind: "class" | "instance", id }`
 * @throws {OptionsError} for an unknown name (with the closest name and the list of names) or an id
 *   whose class is not below the number of classes
 */
export function resolveStyleKey(
  key: string,
  classNames: readonly string[],
  where = "style",
): { kind: "class" | "instance"; id: number } {
  const text = key.trim();
  if (/^\d+$/.test(text)) {
    const id = Number(text);
    const label = id < 1000 ? id : Math.floor(id / 1000);
    if (label >= classNames.length) {
      throw new OptionsError(
        "synth",
        where,
        `names ${id < 1000 ? "class" : "instance"} ${id}, whose class ${label} is not below ` +
          `${classNames.length} (valid class ids: 0…${classNames.length - 1})`,
      );
    }
    return { kind: id < 1000 ? "class" : "instance", id };
  }
  const wanted = normalName(text);
  const index = classNames.findIndex((name) => normalName(name) === wanted);
  if (index >= 0) return { kind: "class", id: index };
  const hint = closest(text, classNames);
  throw new OptionsError(
    "synth",
    where,
    `names an unknown class "${text}"${hint ? ` (did you mean "${hint}"?)` : ""}; valid classes: ` +
      `${classNames.join(", ")} (or a class id, or an instance id ≥ 1000)`,
  );
}

function parseChoice(value: unknown, key: string, where: string): StyleChoice {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (
    Array.isArray(value) && value.length > 0 &&
    value.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    return value as number[];
  }
  throw new OptionsError(
    "synth",
    where,
    `value of "${key}" must be a cluster index (an integer ≥ 0) or a feature vector like [0.1,-0.2,0.3]: ` +
      `current value is ${JSON.stringify(value)}`,
  );
}

function addChoice(
  spec: StyleSpec,
  key: string,
  choice: StyleChoice,
  classNames: readonly string[],
  where: string,
) {
  const { kind, id } = resolveStyleKey(key, classNames, where);
  (kind === "class" ? spec.classes : spec.instances).set(id, choice);
}

/** Splits `a=1,b=[1,2]` on the commas outside brackets. */
function splitPairs(text: string): string[] {
  const parts: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "[") depth++;
    else if (text[i] === "]") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/**
 * Parses a `--style` value: `car=3,road=0`, `26=3`, `26001=[0.1,-0.2,0.3]`.
 *
 * @param text the option's value
 * @param classNames the dataset's class names, by id
 * @param seed the seed for instances without a choice
 * @returns the spec
 * @throws {OptionsError} for a pair without `=`, an unknown class, or a value that is neither a cluster
 *   index nor a vector of numbers
 */
export function parseStyleArg(text: string, classNames: readonly string[], seed = 0): StyleSpec {
  const spec = randomStyle(seed);
  for (const pair of splitPairs(text)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new OptionsError(
        "synth",
        "style",
        `pair "${pair}" must be key=value, e.g. car=3 or 26=3 or 26001=[0.1,0.2,0.3]`,
      );
    }
    const key = pair.slice(0, eq), raw = pair.slice(eq + 1).trim();
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    addChoice(spec, key, parseChoice(value, key, "style"), classNames, "style");
  }
  return spec;
}

/**
 * Parses the JSON style format: `{ "seed"?, "classes"?: {key: choice}, "instances"?: {id: choice} }`.
 *
 * @param doc the parsed JSON
 * @param classNames the dataset's class names, by id
 * @param file the file, named in errors
 * @param seed the seed when the file has none
 * @returns the spec
 * @throws {DataError} when the document is not an object of that shape or a key/value is invalid
 */
export function styleFromJson(
  doc: unknown,
  classNames: readonly string[],
  file: string,
  seed = 0,
): StyleSpec {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(doc)) {
    throw new DataError(file, `a style file must be a JSON object with "classes"/"instances"`);
  }
  const unknown = Object.keys(doc).filter((k) => !["seed", "classes", "instances"].includes(k));
  if (unknown.length > 0) {
    throw new DataError(file, `unknown key(s) ${unknown.join(", ")}; valid keys: seed, classes, instances`);
  }
  if (doc.seed !== undefined && !Number.isInteger(doc.seed)) {
    throw new DataError(file, `"seed" must be an integer: current value is ${JSON.stringify(doc.seed)}`);
  }
  const spec = randomStyle((doc.seed as number | undefined) ?? seed);
  try {
    for (const section of ["classes", "instances"] as const) {
      const entries = doc[section] ?? {};
      if (!isObject(entries)) throw new DataError(file, `"${section}" must be an object of key → choice`);
      for (const [key, value] of Object.entries(entries)) {
        const choice = parseChoice(value, key, section);
        const resolved = resolveStyleKey(key, classNames, section);
        if (section === "instances" && resolved.kind !== "instance") {
          throw new DataError(file, `"instances" key "${key}" must be an instance id ≥ 1000 (class*1000+k)`);
        }
        (resolved.kind === "class" ? spec.classes : spec.instances).set(resolved.id, choice);
      }
    }
  } catch (error) {
    if (error instanceof OptionsError) throw new DataError(file, error.message);
    throw error;
  }
  return spec;
}

/**
 * Reads a `--style` option: a JSON file when the value names one (ends in `.json`), else the
 * `key=value` list.
 *
 * @param value the option's value
 * @param classNames the dataset's class names, by id
 * @param seed the seed for instances without a choice (a file's own "seed" wins)
 * @returns the spec
 * @throws {DataError} for an unreadable or malformed file
 * @throws {OptionsError} for a malformed list
 */
export async function readStyleOption(
  value: string,
  classNames: readonly string[],
  seed = 0,
): Promise<StyleSpec> {
  if (!value.trim().toLowerCase().endsWith(".json")) return parseStyleArg(value, classNames, seed);
  let text: string;
  try {
    text = await Deno.readTextFile(value);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "file not found" : (error as Error).message;
    throw new DataError(value, `cannot read the style file (${reason})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new DataError(value, `is not valid JSON (${(error as Error).message})`);
  }
  return styleFromJson(doc, classNames, value, seed);
}
