/**
 * Data: reading label/instance maps and photos, dataset plugins (aligned, cityscapes, ade20k, helen;
 * `defineDataset` for your own, `resolveDataset` for `--dataset`/`--plugin`),
 * preprocessing with the official options, boundaries, one-hot, the loader and dataset checks.
 *
 * @module
 */
export { type DecodedImage, decodeImage, readImageFile } from "./decode.ts";
export { classOfInstance, toInstanceIds, toLabelIds, toRgb } from "./maps.ts";
export { colorsToIds, idsToColors, type Palette } from "./palette.ts";
export { loadPalette, PALETTES } from "./palettes/mod.ts";
export { labelColormap } from "./palettes/label_colormap.ts";
export type { Raster, RasterData } from "./raster.ts";
export { resizeBicubic, resizeNearest } from "./resize.ts";
export {
  type Draws,
  type GeometryPlan,
  networkMultiple,
  planGeometry,
  type PreprocessOptions,
  preprocessSchema,
} from "./preprocess.ts";
export { restoreSize } from "./restore_size.ts";
export { boundaryMap } from "./edges.ts";
export { oneHot, type OneHotOptions } from "./one_hot.ts";
export type { Entry } from "./sample_reader.ts";
export { idsToTensor, rgbToTensor } from "./sample_tensors.ts";
export { type DatasetIndex, datasetSchema, type DatasetSource, type Problem } from "./source.ts";
export { listImages } from "./match_files.ts";
export { boundaries, encodeInput, encodeSample, generatorInput, oneHotTransform } from "./transforms.ts";
export { entrySample, readFiles } from "./read_files.ts";
export { type DatasetReport, inspectDataset, inspectLabel, type LabelReport } from "./inspect.ts";
export { alignedDataset, indexAligned } from "./datasets/aligned.ts";
export { cityscapesDataset, indexCityscapes } from "./datasets/cityscapes.ts";
export { ade20kDataset, indexAde20k } from "./datasets/ade20k.ts";
export { helenDataset, indexHelen } from "./datasets/helen.ts";
export { encodePng, imageToPng, imageToRaster, writePng } from "./write_image.ts";
export {
  type DatasetFacts,
  datasetOptionsOf,
  type DatasetPlugin,
  datasetSource,
  defineDataset,
  isDatasetPlugin,
  readOptionsFor,
} from "./dataset_plugin.ts";
export {
  builtinDatasets,
  chooseDataset,
  datasetByName,
  datasetOptionSchema,
  detectDatasets,
  loadDatasetOption,
  loadPlugins,
  registeredDatasets,
  resolveDataset,
} from "./dataset_option.ts";
