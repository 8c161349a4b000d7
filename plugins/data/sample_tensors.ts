/**
 * Turning a read sample (typed arrays) into a pipeline `Sample` with NHWC tensors on the current
 * backend: `label` int32 [1,H,W,1] (float32 [1,H,W,3] in [-1,1] when label_nc=0), `inst` int32
 * [1,H,W,1], `image` and `feat` float32 [1,H,W,3] in [-1,1] (Pillow/torchvision's
 * `(x/255 - 0.5)/0.5` in float32).
 *
 * @module
 */
import type { Sample } from "../../kernel/plugin.ts";
import { type Tensor4D, tf } from "../../backends/tf.ts";
import type { Raster } from "./raster.ts";
import type { RawSample } from "./sample_reader.ts";

const TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(v / 255) - 0.5) / 0.5);

/**
 * An 8-bit raster as a float32 tensor in [-1, 1].
 *
 * @param r an 8-bit raster
 * @returns a [1, H, W, C] tensor (the caller owns it)
 */
export function rgbToTensor(r: Raster): Tensor4D {
  const values = new Float32Array(r.data.length);
  for (let i = 0; i < values.length; i++) values[i] = TO_UNIT[r.data[i]];
  return tf.tensor4d(values, [1, r.height, r.width, r.channels], "float32");
}

/**
 * An id raster as an int32 tensor.
 *
 * @param r a 1-channel id raster
 * @returns a [1, H, W, 1] int32 tensor (the caller owns it)
 */
export function idsToTensor(r: Raster): Tensor4D {
  const ids = r.data instanceof Int32Array ? r.data : Int32Array.from(r.data);
  return tf.tensor4d(ids, [1, r.height, r.width, 1], "int32");
}

/**
 * A read sample as a pipeline sample with tensors.
 *
 * @param raw the read sample
 * @returns `{ name, labelPath, instPath?, imagePath?, featPath?, plan, label, inst?, image?, feat? }`
 */
export function rawToSample(raw: RawSample): Sample {
  const { entry } = raw;
  const sample: Sample = { name: entry.name, labelPath: entry.label, plan: raw.plan };
  sample.label = raw.label.data instanceof Int32Array ? idsToTensor(raw.label) : rgbToTensor(raw.label);
  if (raw.inst) {
    sample.instPath = entry.inst;
    sample.inst = idsToTensor(raw.inst);
  }
  if (raw.image) {
    sample.imagePath = entry.image;
    sample.image = rgbToTensor(raw.image);
  }
  if (raw.feat) {
    sample.featPath = entry.feat;
    sample.feat = rgbToTensor(raw.feat);
  }
  return sample;
}
