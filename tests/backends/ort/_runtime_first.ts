// Run by capi_test.ts in a fresh process: onnxruntime-node's own session (the onnxruntime runtime)
// makes onnxruntime's environment first, without shared threads; the ort backend must still run.
import * as ort from "onnxruntime-node";
import { tf } from "../../../backends/tf.ts";
import { selectBackend } from "../../../backends/select.ts";
import { encodeOnnxModel } from "../../../formats/onnx_proto.ts";

const model = encodeOnnxModel({
  opset: 17,
  producer: "test",
  producerVersion: "1",
  doc: "",
  graphName: "relu",
  nodes: [{ op: "Relu", name: "relu", inputs: ["x"], outputs: ["y"], attributes: [] }],
  initializers: [],
  inputs: [{ name: "x", type: "float", shape: [2] }],
  outputs: [{ name: "y", type: "float", shape: [2] }],
  metadata: {},
});
const session = await ort.InferenceSession.create(model);
const relu = await session.run({ x: new ort.Tensor("float32", new Float32Array([-1, 2]), [2]) });
await selectBackend("ort");
const y = tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 1, "same");
console.log(
  JSON.stringify({ relu: Array.from(relu.y.data as Float32Array), conv: Array.from(y.dataSync()) }),
);
