/**
 * `deno task doctor [--backend NAME] [--json]`: versions, the backends that load here, whether the
 * onnxruntime runtime (`--runtime onnxruntime`) loads, our registered kernels, and a tiny forward/backward
 * check on the chosen backend. Exits 1 when the check fails.
 *
 * @module
 */
import { defineCommand, main } from "../kernel/cli.ts";
import { diagnose, type DoctorReport } from "../backends/doctor.ts";
import { type OnnxRuntimeProbe, probeOnnxRuntime } from "../plugins/inference/onnx_runtime.ts";

function format(report: DoctorReport & { onnxruntime: OnnxRuntimeProbe }): string {
  const lines = [`Deno ${report.deno} (V8 ${report.v8}), TensorFlow.js ${report.tfjs}`];
  lines.push(`WebGPU adapter: ${report.webgpuAdapter}`, "Backends:");
  for (const b of report.backends) {
    lines.push(`  ${b.name.padEnd(10)} ${b.loads ? "yes" : "no "} ${b.detail}`);
  }
  lines.push(
    report.wasmThreads > 1
      ? `Plain wasm threads: ${report.wasmThreads} (P2PHD_WASM_THREADS=1 for one; oneDNN runs wasm on one)`
      : "Plain wasm threads: 1 (P2PHD_WASM_THREADS=2 for two, where shared wasm memory and 2 cores exist)",
  );
  const ort = report.onnxruntime;
  lines.push(`Runtime onnxruntime (--runtime onnxruntime): ${ort.loads ? "yes" : "no "} ${ort.detail}`);
  const kernels = Object.entries(report.registeredKernels);
  lines.push("Kernels we register:" + (kernels.length ? "" : " none"));
  for (const [backend, names] of kernels) lines.push(`  ${backend}: ${names.join(", ")}`);
  lines.push(`Chosen: ${report.chosen.name} (${report.chosen.reason})`);
  const c = report.check;
  const errors = Number.isFinite(c.maxGradError)
    ? ` (max |Δ| forward ${c.maxForwardError.toExponential(1)}, gradients ${
      c.maxGradError.toExponential(1)
    }, ${c.seconds.toFixed(2)} s)`
    : "";
  lines.push(`Check on ${report.chosen.name}: ${c.ok ? "ok" : "FAILED"} — ${c.detail}${errors}`);
  return lines.join("\n");
}

/** The `doctor` command. */
export const doctorCommand = defineCommand({
  name: "doctor",
  description:
    "versions, the backends (and the onnxruntime runtime) that load here, our kernels, and a forward/backward check",
  json: true,
  examples: ["deno task doctor", "deno task doctor --backend wasm --json"],
  async run(ctx) {
    const report = { ...await diagnose(ctx.backend ?? "auto"), onnxruntime: await probeOnnxRuntime() };
    ctx.emit(report, format);
    return report.check.ok ? 0 : 1;
  },
});

if (import.meta.main) await main(doctorCommand);
