/**
 * `deno task doctor [--backend NAME] [--json]`: versions, the backends that load here, our registered
 * kernels, and a tiny forward/backward check on the chosen backend. Exits 1 when the check fails.
 *
 * @module
 */
import pc from "picocolors";
import { parseArgs } from "node:util";
import { diagnose, type DoctorReport } from "../kernel/doctor.ts";

function print(report: DoctorReport): void {
  const ok = (b: boolean) => (b ? pc.green("yes") : pc.red("no "));
  console.log(`Deno ${report.deno} (V8 ${report.v8}), TensorFlow.js ${report.tfjs}`);
  console.log(`WebGPU adapter: ${report.webgpuAdapter}`);
  console.log("Backends:");
  for (const b of report.backends) console.log(`  ${b.name.padEnd(10)} ${ok(b.loads)} ${b.detail}`);
  const kernels = Object.entries(report.registeredKernels);
  console.log("Kernels we register:" + (kernels.length ? "" : " none"));
  for (const [backend, names] of kernels) console.log(`  ${backend}: ${names.join(", ")}`);
  console.log(`Chosen: ${report.chosen.name} (${report.chosen.reason})`);
  const c = report.check;
  console.log(
    `Check on ${report.chosen.name}: ${c.ok ? pc.green("ok") : pc.red("FAILED")} — ${c.detail}` +
      (Number.isFinite(c.maxGradError) ? ` (max |Δ| forward ${c.maxForwardError.toExponential(1)}, gradients ${c.maxGradError.toExponential(1)}, ${c.seconds.toFixed(2)} s)` : ""),
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { backend: { type: "string", default: Deno.env.get("P2PHD_BACKEND") ?? "auto" }, json: { type: "boolean", default: false } },
  });
  const report = await diagnose(values.backend);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else print(report);
  Deno.exit(report.check.ok ? 0 : 1);
}
