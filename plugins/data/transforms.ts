/**
 * The transform plugins that encode a sample for the networks: `boundaries` adds `edge`, `one-hot`
 * adds `oneHot`, `generator-input` adds `input` = concat(oneHot, edge unless no_instance, feat when
 * loaded) — with label_nc = 0 the RGB label takes the place of oneHot (and the boundaries still come
 * from the instance map, as the official encode_input). `encode-input` is the three as one stage, the
 * one every recipe's pipeline uses; `encodeSample` runs it on one sample.
 *
 * @module
 */
import { DataError, PipelineError } from "../../kernel/errors.ts";
import { defineSchema, type OptionsOf } from "../../kernel/options.ts";
import { definePlugin, type Sample, type TransformStage } from "../../kernel/plugin.ts";
import { type Tensor4D, tf } from "../../backends/tf.ts";
import { pipeline } from "../../kernel/pipeline.ts";
import { disposeAll } from "../../kernel/memory.ts";
import { boundaryMap } from "./edges.ts";
import { labelOptionsSchema } from "./label_options.ts";
import { oneHot } from "./one_hot.ts";

function tensorField(sample: Sample, key: string, stage: string): Tensor4D {
  const t = sample[key];
  if (!(t instanceof tf.Tensor)) {
    throw new PipelineError(
      `Stage "${stage}" needs a tensor "${key}" in the sample; it has: ${Object.keys(sample).join(", ")}`,
    );
  }
  return t as Tensor4D;
}

function filesOf(sample: Sample): string[] | undefined {
  const p = sample.labelPath;
  return Array.isArray(p) ? p.map(String) : typeof p === "string" ? [p] : undefined;
}

function replace(sample: Sample, key: string, value: Tensor4D): Sample {
  const old = sample[key];
  if (old instanceof tf.Tensor && old !== value) old.dispose();
  return { ...sample, [key]: value };
}

/** Options of the boundaries transform. */
export const boundariesSchema = defineSchema({
  edge_source: {
    type: "enum",
    default: "inst",
    choices: ["inst", "label", "auto"],
    doc: "ids the boundaries come from: the instance map, the label map, or inst when present else label",
  },
});

/** Adds `edge`: the official instance-boundary map. */
export const boundaries = definePlugin({
  name: "boundaries",
  role: "transform",
  description: "instance-boundary map (official get_edges) as `edge`",
  provides: ["edge"],
  schema: boundariesSchema,
  create(opts: OptionsOf<typeof boundariesSchema>): TransformStage {
    const key = (s: Sample) => opts.edge_source === "auto" ? (s.inst ? "inst" : "label") : opts.edge_source;
    return {
      kind: "transform",
      name: "boundaries",
      needs: opts.edge_source === "label" ? ["label"] : opts.edge_source === "inst" ? ["inst"] : [],
      gives: ["edge"],
      apply: (s) => replace(s, "edge", boundaryMap(tensorField(s, key(s), "boundaries"))),
    };
  },
});

/** Options of the one-hot transform. */
export const oneHotSchema = defineSchema({
  label_nc: { ...labelOptionsSchema.label_nc, min: 1, doc: "number of label classes" },
  unknown_label: {
    type: "int",
    default: null,
    min: -1,
    doc: "ids ≥ label_nc: error (unset), -1 all-zero vector, or count them as this class",
  },
});

/** Adds `oneHot`: the label map over label_nc channels. */
export const oneHotTransform = definePlugin({
  name: "one-hot",
  role: "transform",
  description: "one-hot label channels as `oneHot`",
  provides: ["oneHot"],
  schema: oneHotSchema,
  create(opts: OptionsOf<typeof oneHotSchema>): TransformStage {
    return {
      kind: "transform",
      name: "one-hot",
      needs: ["label"],
      gives: ["oneHot"],
      apply: async (s) =>
        replace(
          s,
          "oneHot",
          await oneHot(tensorField(s, "label", "one-hot"), opts.label_nc, {
            files: filesOf(s),
            unknown_label: opts.unknown_label,
          }),
        ),
    };
  },
});

/** Options of the generator-input transform. */
export const inputSchema = defineSchema({
  ...labelOptionsSchema,
  features: { type: "boolean", default: true, doc: "append the sample's `feat` when it has one" },
});

function inputNeeds(labelNc: number, noInstance: boolean): string[] {
  const labels = labelNc === 0 ? "label" : "oneHot";
  return noInstance ? [labels] : [labels, "edge"];
}

function assembleInput(s: Sample, needs: string[], stage: string, features: boolean): Tensor4D {
  const parts = needs.map((k) => tensorField(s, k, stage));
  if (features && s.feat instanceof tf.Tensor) parts.push(s.feat as Tensor4D);
  return parts.length === 1 ? tf.clone(parts[0]) : tf.concat(parts, 3);
}

/** Adds `input`: what the generator reads. */
export const generatorInput = definePlugin({
  name: "generator-input",
  role: "transform",
  description: "generator input `input` = concat(oneHot, edge, feat)",
  provides: ["input"],
  schema: inputSchema,
  create(opts: OptionsOf<typeof inputSchema>): TransformStage {
    const needs = inputNeeds(opts.label_nc, opts.no_instance);
    return {
      kind: "transform",
      name: "generator-input",
      needs,
      gives: ["input"],
      apply: (s) => replace(s, "input", assembleInput(s, needs, "generator-input", opts.features)),
    };
  },
});

/** Options of the encode-input transform: one-hot, boundaries and the input assembly in one stage. */
export const encodeInputSchema = defineSchema({
  label_nc: inputSchema.label_nc,
  no_instance: inputSchema.no_instance,
  unknown_label: oneHotSchema.unknown_label,
  edge_source: { ...boundariesSchema.edge_source, default: "auto" },
  features: {
    type: "boolean",
    default: true,
    doc: "append the sample's `feat` to `input` when it has one (training keeps loaded features apart)",
  },
});

/** Options of `encodeInput` / `encodeSample` (defaults: label_nc 35, edges from inst when present else label). */
export type EncodeOptions = Partial<OptionsOf<typeof encodeInputSchema>>;

/**
 * Adds `edge` (unless no_instance), `oneHot` (unless label_nc = 0) and `input`: the three transforms
 * above as one stage, as the official `encode_input` does — with label_nc 0 the boundaries come from
 * the instance map, which the sample must then have.
 */
export const encodeInput = definePlugin({
  name: "encode-input",
  role: "transform",
  description: "encode a sample for the networks: `edge`, `oneHot` and `input` (official encode_input)",
  provides: ["edge", "oneHot", "input"],
  schema: encodeInputSchema,
  create(o: OptionsOf<typeof encodeInputSchema>, ctx): TransformStage {
    const edgeSource = o.label_nc === 0 ? "inst" : o.edge_source;
    const stages = [
      ...(o.no_instance ? [] : [boundaries.create({ edge_source: edgeSource }, ctx)]),
      ...(o.label_nc > 0
        ? [oneHotTransform.create({ label_nc: o.label_nc, unknown_label: o.unknown_label }, ctx)]
        : []),
      generatorInput.create({ label_nc: o.label_nc, no_instance: o.no_instance, features: o.features }, ctx),
    ];
    return {
      kind: "transform",
      name: "encode-input",
      needs: ["label"],
      gives: stages.flatMap((stage) => stage.gives),
      async apply(sample: Sample, c): Promise<Sample> {
        if (!o.no_instance && edgeSource === "inst" && !(sample.inst instanceof tf.Tensor)) {
          throw new DataError(
            filesOf(sample)?.[0] ?? String(sample.name ?? "the sample"),
            "has no instance map: with label_nc 0 the boundary channel comes from it; give it " +
              "({phase}_inst/, --inst) or pass --no_instance",
          );
        }
        let s = sample;
        try {
          for (const stage of stages) s = await stage.apply(s, c);
        } catch (error) {
          disposeAll(s);
          throw error;
        }
        return s;
      },
    };
  },
});

/**
 * Encodes one sample with `encode-input` (a one-stage pipeline).
 *
 * @param sample a sample with `label` (and `inst`; with label_nc = 0 and no no_instance it must have one)
 * @param opts label_nc, no_instance, unknown_label, edge_source, features
 * @returns the sample with the new tensors (it owns them)
 * @throws {DataError} on ids outside 0…label_nc-1 without unknown_label
 * @throws {DataError} when label_nc is 0, no_instance is off and the sample has no instance map
 */
export function encodeSample(sample: Sample, opts: EncodeOptions = {}): Promise<Sample> {
  return pipeline().use(encodeInput, opts).process(sample);
}
