/**
 * Edits as data: an ops file is a JSON list of operations (or `{ "ops": [...] }`) applied in order to
 * a scene, as `deno task edit --ops ops.json` does. An instance is named by id (`"instance": 26001`)
 * or by a pixel on it (`"at": [x, y]`); a class by name or id. `style` with a `class` (and no
 * instance) restyles every instance of the class.
 *
 * ```json
 * [
 *   { "op": "style", "instance": 26001, "style": 3 },
 *   { "op": "style", "at": [300, 180], "style": [0.1, -0.2, 0.3] },
 *   { "op": "style", "class": "car", "style": 2 },
 *   { "op": "relabel", "instance": 26002, "class": "truck" },
 *   { "op": "remove", "instance": 24001 },
 *   { "op": "paint", "class": "road", "points": [[10, 200], [120, 210]], "radius": 6 },
 *   { "op": "paste", "class": "car", "mask": "car_mask.png", "offset": [40, 0], "style": 1 },
 *   { "op": "paste", "class": "car", "from_instance": 26001, "offset": [-80, 0] },
 *   { "op": "undo" }, { "op": "redo" }
 * ]
 * ```
 *
 * Mask paths are relative to the ops file.
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { DataError, isUserError } from "../../kernel/errors.ts";
import { readImageFile } from "../data/decode.ts";
import type { StyleChoice } from "../features/style_spec.ts";
import type { Point } from "./geometry.ts";
import type { ClassRef, Scene } from "./scene.ts";

/** One operation, as written in an ops file. */
export type EditOp = Record<string, unknown> & { op: string };

const KEYS: Readonly<Record<string, readonly string[]>> = {
  relabel: ["instance", "at", "class", "style"],
  remove: ["instance", "at"],
  paint: ["class", "points", "radius", "instance", "at", "style"],
  paste: ["class", "mask", "from_instance", "offset", "style"],
  style: ["instance", "at", "class", "style"],
  undo: [],
  redo: [],
};

/**
 * Reads an ops file.
 *
 * @param path the JSON file
 * @returns its operations
 * @throws {DataError} when it cannot be read, is not JSON, or is not a list of `{ "op": … }` objects
 */
export async function readOps(path: string): Promise<EditOp[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "file not found" : (error as Error).message;
    throw new DataError(path, `cannot read the ops file (${reason})`);
  }
  const ops = Array.isArray(doc) ? doc : (doc as { ops?: unknown })?.ops;
  if (!Array.isArray(ops) || !ops.every((o) => o && typeof o === "object" && typeof o.op === "string")) {
    throw new DataError(
      path,
      `must be a JSON list of operations like {"op": "remove", "instance": 26001} (or {"ops": [...]})`,
    );
  }
  return ops as EditOp[];
}

function instanceOf(scene: Scene, op: EditOp, required: boolean): number | undefined {
  if (op.instance !== undefined) {
    if (!Number.isInteger(op.instance)) {
      throw new Error(`"instance" must be an instance id: current value is ${JSON.stringify(op.instance)}`);
    }
    return op.instance as number;
  }
  if (op.at !== undefined) {
    const at = op.at as number[];
    if (!Array.isArray(at) || at.length !== 2) {
      throw new Error(`"at" must be [x, y]: current value is ${JSON.stringify(op.at)}`);
    }
    return scene.instanceAt(at[0], at[1]);
  }
  if (required) throw new Error(`needs "instance" (an id) or "at" ([x, y] on the instance)`);
  return undefined;
}

function classOf(op: EditOp): ClassRef {
  if (typeof op.class !== "string" && typeof op.class !== "number") {
    throw new Error(`needs "class" (a class name or id)`);
  }
  return op.class;
}

async function applyOne(scene: Scene, op: EditOp, baseDir: string): Promise<string> {
  const style = op.style as StyleChoice | undefined;
  switch (op.op) {
    case "relabel": {
      const id = instanceOf(scene, op, true)!;
      return `relabel ${id} → instance ${scene.relabel(id, classOf(op), { style })}`;
    }
    case "remove": {
      const id = instanceOf(scene, op, true)!;
      scene.remove(id);
      return `remove ${id}`;
    }
    case "paint": {
      const points = op.points as Point[];
      if (!Array.isArray(points)) throw new Error(`needs "points": a list of [x, y]`);
      const id = scene.paint({
        class: classOf(op),
        points,
        radius: op.radius as number | undefined,
        instance: instanceOf(scene, op, false),
        style,
      });
      return `paint instance ${id}`;
    }
    case "paste": {
      const offset = op.offset as Point | undefined;
      if (op.from_instance !== undefined) {
        const id = scene.paste(scene.mask(op.from_instance as number), { class: classOf(op), offset, style });
        return `paste instance ${id} (copy of ${op.from_instance})`;
      }
      if (typeof op.mask !== "string") {
        throw new Error(`needs "mask" (a PNG path) or "from_instance" (an instance id)`);
      }
      const file = isAbsolute(op.mask) ? op.mask : join(baseDir, op.mask);
      const mask = await readImageFile(file);
      return `paste instance ${scene.paste(mask, { class: classOf(op), offset, style, file })}`;
    }
    case "style": {
      if (style === undefined) throw new Error(`needs "style": a cluster index or a feature vector`);
      if (op.class !== undefined && op.instance === undefined && op.at === undefined) {
        scene.setClassStyle(classOf(op), style);
        return `style class ${op.class}`;
      }
      const id = instanceOf(scene, op, true)!;
      scene.setStyle(id, style);
      return `style ${id}`;
    }
    case "undo":
    case "redo":
      if (!(op.op === "undo" ? scene.undo() : scene.redo())) throw new Error(`there is nothing to ${op.op}`);
      return op.op;
    default:
      throw new Error(`unknown operation; valid operations: ${Object.keys(KEYS).join(", ")}`);
  }
}

/**
 * Applies operations to a scene, in order. A failing operation stops the run; the ones before it stay
 * applied (undo them with `scene.undo()`).
 *
 * @param scene the scene (edited in place)
 * @param ops the operations
 * @param options `file`: the ops file (named in errors; masks are relative to it)
 * @returns one line per operation saying what it did
 * @throws {DataError} naming the ops file, the operation's index and kind, and what is wrong
 */
export async function applyOps(
  scene: Scene,
  ops: readonly EditOp[],
  options: { file?: string } = {},
): Promise<string[]> {
  const file = options.file ?? "ops";
  const done: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    try {
      const unknown = Object.keys(op).filter((k) => k !== "op" && !(KEYS[op.op] ?? []).includes(k));
      if (KEYS[op.op] && unknown.length > 0) {
        throw new Error(
          `unknown key(s) ${unknown.join(", ")}; valid keys: ${KEYS[op.op].join(", ") || "none"}`,
        );
      }
      done.push(await applyOne(scene, op, dirname(file)));
    } catch (error) {
      const expected = isUserError(error) || error instanceof RangeError ||
        (error as Error)?.constructor === Error;
      if (!expected) throw error;
      throw new DataError(file, `operation ${i + 1} (${op.op}): ${(error as Error).message}`);
    }
  }
  return done;
}
