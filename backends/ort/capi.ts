/**
 * onnxruntime's C API through Deno FFI, on the library that npm onnxruntime-node ships (found through
 * the package, never copied). The tensors stay where they are: an input or output is an `OrtValue`
 * wrapped around a pointer into the wasm heap, so a run copies nothing. The sessions share one
 * thread pool (the environment's, with threads that sleep between runs rather than spin) and one
 * memory arena, so a hundred convolution sessions cost no more threads or scratch memory than one.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BackendError } from "../../kernel/errors.ts";
import { encodeOnnxModel } from "../../formats/onnx_proto.ts";

/** The API version asked for: every function used here exists from it on. */
const API_VERSION = 13;

/** Slots of the functions used, in `struct OrtApi` (onnxruntime_c_api.h; the struct only ever grows). */
export const ORT_API_SLOTS = {
  GetErrorMessage: 2,
  CreateSessionFromArray: 8,
  Run: 9,
  CreateSessionOptions: 10,
  SetSessionGraphOptimizationLevel: 23,
  SetIntraOpNumThreads: 24,
  SetInterOpNumThreads: 25,
  CreateTensorWithDataAsOrtValue: 49,
  CreateCpuMemoryInfo: 69,
  ReleaseStatus: 93,
  ReleaseSession: 95,
  ReleaseValue: 96,
  ReleaseSessionOptions: 100,
  CreateThreadingOptions: 121,
  ReleaseThreadingOptions: 122,
  CreateEnvWithGlobalThreadPools: 119,
  DisablePerSessionThreads: 120,
  SetGlobalIntraOpNumThreads: 147,
  SetGlobalInterOpNumThreads: 148,
  SetGlobalSpinControl: 149,
  AddSessionConfigEntry: 130,
  CreateAndRegisterAllocator: 144,
} as const;

const P = "pointer" as const;
const SIGNATURES = {
  GetErrorMessage: { parameters: [P], result: P },
  CreateSessionFromArray: { parameters: [P, P, "usize", P, P], result: P },
  Run: { parameters: [P, P, P, P, "usize", P, "usize", P], result: P },
  CreateSessionOptions: { parameters: [P], result: P },
  SetSessionGraphOptimizationLevel: { parameters: [P, "i32"], result: P },
  SetIntraOpNumThreads: { parameters: [P, "i32"], result: P },
  SetInterOpNumThreads: { parameters: [P, "i32"], result: P },
  CreateTensorWithDataAsOrtValue: { parameters: [P, P, "usize", P, "usize", "i32", P], result: P },
  CreateCpuMemoryInfo: { parameters: ["i32", "i32", P], result: P },
  ReleaseStatus: { parameters: [P], result: "void" },
  ReleaseSession: { parameters: [P], result: "void" },
  ReleaseValue: { parameters: [P], result: "void" },
  ReleaseSessionOptions: { parameters: [P], result: "void" },
  CreateThreadingOptions: { parameters: [P], result: P },
  ReleaseThreadingOptions: { parameters: [P], result: "void" },
  CreateEnvWithGlobalThreadPools: { parameters: ["i32", P, P, P], result: P },
  DisablePerSessionThreads: { parameters: [P], result: P },
  SetGlobalIntraOpNumThreads: { parameters: [P, "i32"], result: P },
  SetGlobalInterOpNumThreads: { parameters: [P, "i32"], result: P },
  SetGlobalSpinControl: { parameters: [P, "i32"], result: P },
  AddSessionConfigEntry: { parameters: [P, P, P], result: P },
  CreateAndRegisterAllocator: { parameters: [P, P, P], result: P },
} as const satisfies Record<keyof typeof ORT_API_SLOTS, Deno.UnsafeCallbackDefinition>;

type OrtFunctions = { [K in keyof typeof SIGNATURES]: Deno.UnsafeFnPointer<(typeof SIGNATURES)[K]>["call"] };

/** ORT_LOGGING_LEVEL_WARNING, ORT_ENABLE_ALL, OrtArenaAllocator, OrtMemTypeDefault, FLOAT. */
const WARNING = 2, ENABLE_ALL = 99, ARENA_ALLOCATOR = 1, MEM_TYPE_DEFAULT = 0, FLOAT = 1;

/**
 * Where onnxruntime-node keeps its onnxruntime library for this platform.
 *
 * @param packageEntry the package's entry file (`import.meta.resolve("onnxruntime-node")`)
 * @returns the library's path
 * @throws {BackendError} when the package ships no library for this platform
 */
export function ortLibraryPath(packageEntry: string): string {
  const os = { linux: "linux", darwin: "darwin", windows: "win32" }[Deno.build.os as string];
  const arch = { x86_64: "x64", aarch64: "arm64" }[Deno.build.arch];
  const folder = join(
    dirname(dirname(fileURLToPath(packageEntry))),
    "bin",
    "napi-v6",
    os ?? "?",
    arch ?? "?",
  );
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(folder)].map((e) => e.name);
  } catch {
    // no folder for this platform: said below
  }
  const library = names.find((n) =>
    n === "libonnxruntime.so.1" || n === "onnxruntime.dll" || /^libonnxruntime\.[\d.]*dylib$/.test(n)
  );
  if (!library) {
    throw new BackendError(
      "ort",
      `onnxruntime-node ships no onnxruntime library for ${Deno.build.os}-${Deno.build.arch} (looked in ${folder})`,
    );
  }
  return join(folder, library);
}

/** One ReLU: a session made at start-up tells whether the environment's shared threads exist. */
const PROBE_MODEL = encodeOnnxModel({
  opset: 17,
  producer: "pix2pixhd-deno",
  producerVersion: "1",
  doc: "probe",
  graphName: "probe",
  nodes: [{ op: "Relu", name: "relu", inputs: ["x"], outputs: ["y"], attributes: [] }],
  initializers: [],
  inputs: [{ name: "x", type: "float", shape: [1] }],
  outputs: [{ name: "y", type: "float", shape: [1] }],
  metadata: {},
});

const encoder = new TextEncoder();
/** A NUL-terminated C string (keep the array alive while its pointer is used). */
function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${text}\0`);
}

/** A session's compiled model: run it on pointers. */
export interface OrtCSession {
  /**
   * Runs the model with every tensor in place.
   *
   * @param inputs one pointer per input, in the order of the specs given at creation
   * @param outputs where the outputs go, likewise (each of its spec's size; an output may be an
   *   input's buffer when the model reads that input before it writes the output)
   * @param length the length of the specs' `-1` axes in this run
   */
  run(inputs: readonly Deno.PointerValue[], outputs: readonly Deno.PointerValue[], length?: number): void;
  /** Frees the session. */
  release(): void;
}

/** One tensor of a session: its name and shape (-1: the axis whose length each run gives). */
export interface TensorSpec {
  name: string;
  shape: readonly number[];
}

/** onnxruntime through its C API: sessions that run on raw float32 pointers. */
export class OrtC {
  readonly #lib: Deno.DynamicLibrary<{ OrtGetApiBase: { parameters: []; result: "pointer" } }>;
  readonly #fn: OrtFunctions;
  readonly #env: Deno.PointerValue;
  readonly #memory: Deno.PointerValue;
  #options: Deno.PointerValue;
  /** onnxruntime's version. */
  readonly version: string;

  /**
   * Opens the library and makes the environment (shared threads: `threads`, 0 for one per core).
   *
   * @param path the library
   * @param threads the shared intra-op threads (0: onnxruntime's default, one per physical core)
   * @throws {BackendError} when the library does not open or onnxruntime refuses a call
   */
  constructor(path: string, threads = 0) {
    try {
      this.#lib = Deno.dlopen(path, { OrtGetApiBase: { parameters: [], result: "pointer" } });
    } catch (error) {
      throw new BackendError("ort", `${path} does not open: ${(error as Error).message.split("\n")[0]}`);
    }
    const base = new Deno.UnsafePointerView(this.#lib.symbols.OrtGetApiBase()!);
    const getApi = new Deno.UnsafeFnPointer(base.getPointer(0)!, { parameters: ["u32"], result: "pointer" });
    const getVersion = new Deno.UnsafeFnPointer(base.getPointer(8)!, { parameters: [], result: "pointer" });
    this.version = Deno.UnsafePointerView.getCString(getVersion.call()!);
    const api = getApi.call(API_VERSION);
    if (api === null) {
      throw new BackendError("ort", `onnxruntime ${this.version} does not offer API version ${API_VERSION}`);
    }
    const table = new Deno.UnsafePointerView(api);
    this.#fn = Object.fromEntries(
      Object.entries(SIGNATURES).map(([name, signature]) => {
        const slot = ORT_API_SLOTS[name as keyof typeof ORT_API_SLOTS];
        const pointer = new Deno.UnsafeFnPointer(table.getPointer(slot * 8)!, signature);
        return [
          name,
          (...args: unknown[]) => (pointer.call as unknown as (...a: unknown[]) => unknown)(...args),
        ];
      }),
    ) as unknown as OrtFunctions;
    const threading = this.#out((out) => this.#fn.CreateThreadingOptions(out));
    try {
      this.#check(this.#fn.SetGlobalIntraOpNumThreads(threading, threads));
      this.#check(this.#fn.SetGlobalInterOpNumThreads(threading, 1));
      this.#check(this.#fn.SetGlobalSpinControl(threading, 0));
      const logId = cString("pix2pixhd");
      this.#env = this.#out((out) =>
        this.#fn.CreateEnvWithGlobalThreadPools(WARNING, Deno.UnsafePointer.of(logId), threading, out)
      );
    } finally {
      this.#fn.ReleaseThreadingOptions(threading);
    }
    this.#memory = this.#out((out) => this.#fn.CreateCpuMemoryInfo(ARENA_ALLOCATOR, MEM_TYPE_DEFAULT, out));
    this.#check(this.#fn.CreateAndRegisterAllocator(this.#env, this.#memory, null));
    this.#options = this.#sessionOptions(true, threads);
    try {
      this.session(PROBE_MODEL, [{ name: "x", shape: [1] }], [{ name: "y", shape: [1] }]).release();
    } catch (error) {
      // onnxruntime-node's own environment came first (the onnxruntime runtime, in this process), and
      // has no shared pool: each session gets threads of its own
      if (!(error as Error).message.includes("CreateEnvWithGlobalThreadPools")) throw error;
      this.#fn.ReleaseSessionOptions(this.#options);
      this.#options = this.#sessionOptions(false, threads);
      this.sharedThreads = false;
    }
  }

  /** Whether the sessions share the environment's threads (false: each has its own). */
  sharedThreads = true;

  /** Session options: full graph optimisation, the env's arena, threads that sleep between runs. */
  #sessionOptions(shared: boolean, threads: number): Deno.PointerValue {
    const options = this.#out((out) => this.#fn.CreateSessionOptions(out));
    this.#check(this.#fn.SetSessionGraphOptimizationLevel(options, ENABLE_ALL));
    if (shared) this.#check(this.#fn.DisablePerSessionThreads(options));
    else {
      this.#check(this.#fn.SetIntraOpNumThreads(options, threads));
      this.#check(this.#fn.SetInterOpNumThreads(options, 1));
    }
    for (
      const [key, value] of [["session.use_env_allocators", "1"], ["session.intra_op.allow_spinning", "0"]]
    ) {
      const [k, v] = [cString(key), cString(value)];
      this.#check(
        this.#fn.AddSessionConfigEntry(options, Deno.UnsafePointer.of(k), Deno.UnsafePointer.of(v)),
      );
    }
    return options;
  }

  /**
   * Compiles a model whose inputs and outputs are float32 tensors of fixed shapes.
   *
   * @param model the `.onnx` bytes
   * @param inputs the inputs, in the order `run` takes their pointers
   * @param outputs the outputs, likewise
   * @returns the session
   * @throws {BackendError} when onnxruntime rejects the model
   */
  session(model: Uint8Array, inputs: readonly TensorSpec[], outputs: readonly TensorSpec[]): OrtCSession {
    const handle = this.#out((out) =>
      this.#fn.CreateSessionFromArray(
        this.#env,
        Deno.UnsafePointer.of(model as Uint8Array<ArrayBuffer>),
        BigInt(model.byteLength),
        this.#options,
        out,
      )
    );
    const tensors = [...inputs, ...outputs];
    const names = tensors.map((t) => cString(t.name));
    const shapes = tensors.map((t) => new BigInt64Array(t.shape.map(BigInt)));
    const dynamic = tensors.map((t) => t.shape.indexOf(-1));
    const bytes = tensors.map((t) => 4 * t.shape.reduce((a, b) => a * Math.abs(b), 1));
    const namePointers = new BigUint64Array(
      names.map((n) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(n)))),
    );
    const inputNames = Deno.UnsafePointer.of(namePointers);
    const outputNames = Deno.UnsafePointer.offset(inputNames!, 8 * inputs.length);
    const values = new BigUint64Array(tensors.length);
    const valuesPointer = Deno.UnsafePointer.of(values);
    const outputValues = Deno.UnsafePointer.offset(valuesPointer!, 8 * inputs.length);
    const slot = new BigUint64Array(1);
    const slotPointer = Deno.UnsafePointer.of(slot);
    const fn = this.#fn;
    const memory = this.#memory;
    const [inputCount, outputCount] = [BigInt(inputs.length), BigInt(outputs.length)];
    let released = false;
    return {
      run: (pointers, outs, length = 1) => {
        if (released) throw new BackendError("ort", "a released onnxruntime session was run");
        const all = [...pointers, ...outs];
        values.fill(0n);
        try {
          for (let i = 0; i < all.length; i++) {
            if (dynamic[i] >= 0) shapes[i][dynamic[i]] = BigInt(length);
            const status = fn.CreateTensorWithDataAsOrtValue(
              memory,
              all[i],
              BigInt(dynamic[i] >= 0 ? bytes[i] * length : bytes[i]),
              Deno.UnsafePointer.of(shapes[i]),
              BigInt(shapes[i].length),
              FLOAT,
              slotPointer,
            );
            this.#check(status);
            values[i] = slot[0];
          }
          this.#check(
            fn.Run(
              handle,
              null,
              inputNames,
              valuesPointer,
              inputCount,
              outputNames,
              outputCount,
              outputValues,
            ),
          );
        } finally {
          for (const value of values) if (value !== 0n) fn.ReleaseValue(Deno.UnsafePointer.create(value));
        }
        // keep the names alive as long as the session
        void names;
      },
      release: () => {
        if (released) return;
        released = true;
        fn.ReleaseSession(handle);
      },
    };
  }

  /** Calls a function that writes one pointer through its last argument, and returns that pointer. */
  #out(call: (out: Deno.PointerValue) => Deno.PointerValue): Deno.PointerValue {
    const slot = new BigUint64Array(1);
    this.#check(call(Deno.UnsafePointer.of(slot)));
    return Deno.UnsafePointer.create(slot[0]);
  }

  /** Throws onnxruntime's message for a non-null status, and frees it. */
  #check(status: Deno.PointerValue): void {
    if (status === null) return;
    const message = Deno.UnsafePointerView.getCString(this.#fn.GetErrorMessage(status)!);
    this.#fn.ReleaseStatus(status);
    throw new BackendError("ort", `onnxruntime: ${message}`);
  }
}
