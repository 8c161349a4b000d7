/**
 * The label options, declared once for every dataset, stage and recipe that reads label maps:
 * `label_nc` and `no_instance` (official names and defaults: 35 Cityscapes classes, with instance
 * maps). Other schemas spread these declarations and override only what differs where they are used,
 * e.g. `{ ...labelOptionsSchema.label_nc, min: 1 }` for one-hot or `default: 151` for ADE20K.
 *
 * @module
 */
import { defineSchema } from "../../kernel/options.ts";

/** `label_nc` and `no_instance`. */
export const labelOptionsSchema = defineSchema({
  label_nc: {
    type: "int",
    default: 35,
    min: 0,
    doc: "number of label classes (0: the label map is an RGB image)",
  },
  no_instance: { type: "boolean", default: false, doc: "no instance maps: no boundary channel in the input" },
});
