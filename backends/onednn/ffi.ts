/**
 * The oneDNN 2.x C API as seen through Deno FFI: the symbols we call, the enum values we pass (read
 * from `dnnl_types.h` of oneDNN 2.6, Debian package `libdnnl-dev` 2.6.3) and opening the library.
 *
 * Everything here is ABI-level; `native.ts` wraps it into checked calls.
 *
 * @module
 */

/** The C functions we bind. Every call is synchronous: the JS thread waits while oneDNN's OpenMP runs. */
export const DNNL_SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_get_effective_cpu_isa: { parameters: [], result: "i32" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_engine_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: { parameters: ["buffer", "i32", "buffer", "i32", "i32"], result: "i32" },
  dnnl_memory_desc_init_by_strides: {
    parameters: ["buffer", "i32", "buffer", "i32", "buffer"],
    result: "i32",
  },
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_dilated_convolution_forward_desc_init: {
    // desc, prop_kind, alg_kind, src, weights, bias (nullable), dst, strides, dilates, pad_l, pad_r
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    // desc, alg_kind, diff_src, weights, diff_dst, strides, dilates, pad_l, pad_r
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    // desc, alg_kind, src, diff_weights, diff_bias (nullable), diff_dst, strides, dilates, pad_l, pad_r
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_pooling_v2_forward_desc_init: {
    // desc, prop_kind, alg_kind, src, dst, strides, kernel, dilation, pad_l, pad_r
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_pooling_v2_backward_desc_init: {
    // desc, alg_kind, diff_src, diff_dst, strides, kernel, dilation, pad_l, pad_r
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  // desc, alg_kind, src, dst, p, eps
  dnnl_reduction_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  // desc, prop_kind, alg_kind, data, alpha, beta
  dnnl_eltwise_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"],
    result: "i32",
  },
  // desc, alg_kind, diff_data, data, alpha, beta
  dnnl_eltwise_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_scales: { parameters: ["pointer", "i32", "i64", "i32", "buffer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_sum: { parameters: ["pointer", "f32"], result: "i32" },
  dnnl_post_ops_append_binary: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  // desc, alg_kind, src0, src1, dst
  // desc, src, weights, bias, dst
  dnnl_matmul_desc_init: { parameters: ["buffer", "buffer", "buffer", "pointer", "buffer"], result: "i32" },
  dnnl_binary_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_post_ops_append_eltwise: { parameters: ["pointer", "f32", "i32", "f32", "f32"], result: "i32" },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_get_data_handle: { parameters: ["pointer", "buffer"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_primitive_attr_set_scratchpad_mode: { parameters: ["pointer", "i32"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound functions. */
export type DnnlSymbols = Deno.DynamicLibrary<typeof DNNL_SYMBOLS>["symbols"];

/** Enum values and sizes of the oneDNN 2.x C ABI (checked against `dnnl_types.h` 2.6 with a C compiler). */
export const DNNL = {
  /** `sizeof(dnnl_memory_desc_t)`. */
  MEMORY_DESC_BYTES: 696,
  /** `sizeof(dnnl_convolution_desc_t)`. */
  CONV_DESC_BYTES: 5976,
  /** `sizeof(dnnl_pooling_v2_desc_t)`. */
  POOL_DESC_BYTES: 3288,
  /** `sizeof(dnnl_eltwise_desc_t)`. */
  ELTWISE_DESC_BYTES: 1416,
  /** `sizeof(dnnl_binary_desc_t)`. */
  BINARY_DESC_BYTES: 2096,
  /** `sizeof(dnnl_matmul_desc_t)`: kind, four memory descriptors, accumulation type. */
  MATMUL_DESC_BYTES: 2800,
  /** `sizeof(dnnl_exec_arg_t)`: `{int arg; dnnl_memory_t memory;}`. */
  EXEC_ARG_BYTES: 16,
  /** `DNNL_MAX_NDIMS`: `dnnl_dims_t` is `int64_t[12]`. */
  MAX_NDIMS: 12,
  success: 0,
  cpu_engine: 1,
  /** `dnnl_stream_in_order` (= `dnnl_stream_default_flags`). */
  stream_in_order: 1,
  f32: 3,
  tag_any: 1,
  tag_a: 2,
  /** `dnnl_ab`, `dnnl_abc`, `dnnl_abcd`: dense row-major layouts. */
  tag_ab: 3,
  tag_abc: 4,
  tag_abcd: 5,
  /** `dnnl_nhwc` (= `acdb`): activations as TensorFlow.js stores them. */
  tag_nhwc: 20,
  /** `dnnl_hwio` (= `cdba`): weights `[kh, kw, in, out]` as TensorFlow.js stores them. */
  tag_hwio: 30,
  forward_training: 64,
  forward_inference: 96,
  convolution_direct: 1,
  /** `dnnl_eltwise_relu`; with alpha ≠ 0 it is a leaky ReLU. */
  eltwise_relu: 31,
  eltwise_tanh: 0x2f,
  eltwise_elu: 63,
  eltwise_logistic: 175,
  /** `dnnl_eltwise_clip`: min(max(x, alpha), beta). */
  eltwise_clip: 255,
  /** `dnnl_eltwise_square`: x·x. */
  eltwise_square: 0x4f,
  eltwise_sqrt: 0x6f,
  /** `dnnl_eltwise_linear`: alpha·x + beta. */
  eltwise_linear: 0x7f,
  /** `dnnl_eltwise_pow`: alpha·x^beta (beta -1: an exact reciprocal). */
  eltwise_pow: 0x20,
  pooling_max: 0x1ff,
  /** `dnnl_pooling_avg_exclude_padding`: TensorFlow.js's average pooling. */
  pooling_avg_exclude_padding: 0x3ff,
  binary_add: 0x1fff0,
  binary_mul: 0x1fff1,
  binary_div: 0x1fff4,
  binary_sub: 0x1fff5,
  query_impl_info_str: 8,
  query_src_md: 129,
  query_diff_src_md: 130,
  query_weights_md: 131,
  query_diff_weights_md: 132,
  query_dst_md: 133,
  query_diff_dst_md: 134,
  query_workspace_md: 135,
  query_scratchpad_md: 136,
  /** `dnnl_scratchpad_mode_user`: the caller passes the scratchpad to each execution. */
  scratchpad_mode_user: 1,
  arg_src: 1,
  arg_src_1: 2,
  /** `DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE`: post-op i's own argument k is `BASE·(i+1) | k`. */
  arg_post_op_base: 16384,
  arg_dst: 17,
  arg_weights: 33,
  arg_bias: 41,
  arg_workspace: 64,
  arg_scratchpad: 80,
  arg_diff_src: 129,
  arg_diff_dst: 145,
  arg_diff_weights: 161,
  /** `dnnl_cpu_isa_avx2`: the bit mask every AVX2-or-better ISA value contains. */
  isa_avx2: 0x7,
} as const;

/** The OpenMP runtime oneDNN's Debian build runs on (GNU libgomp), for the thread count. */
export const GOMP_SYMBOLS = {
  omp_get_max_threads: { parameters: [], result: "i32" },
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The OpenMP functions, when libgomp is there. */
export type GompSymbols = Deno.DynamicLibrary<typeof GOMP_SYMBOLS>["symbols"];

/**
 * Binds libgomp (already loaded by libdnnl, so this finds the same copy).
 *
 * @returns the functions, or null when this oneDNN does not run on libgomp
 */
export function openGomp(): GompSymbols | null {
  try {
    return Deno.dlopen("libgomp.so.1", GOMP_SYMBOLS).symbols;
  } catch {
    return null;
  }
}

/** Where the shared library is called on each OS (the Debian/Ubuntu package `libdnnl2` on Linux). */
export function libraryFileName(os: typeof Deno.build.os = Deno.build.os): string {
  if (os === "darwin") return "libdnnl.2.dylib";
  if (os === "windows") return "dnnl.dll";
  return "libdnnl.so.2";
}

/** How to get the library, for error messages. */
export const INSTALL_HINT = "install oneDNN 2.x: `apt-get install libdnnl2` (Debian 12 / Ubuntu 22.04+)";

/**
 * Opens the oneDNN shared library and binds {@link DNNL_SYMBOLS}.
 *
 * @param path file name or path of the library (default: the OS's name for oneDNN 2)
 * @returns the open library, or why it could not be opened (never throws)
 */
export function openDnnl(
  path: string = libraryFileName(),
): { ok: true; lib: Deno.DynamicLibrary<typeof DNNL_SYMBOLS> } | { ok: false; reason: string } {
  try {
    return { ok: true, lib: Deno.dlopen(path, DNNL_SYMBOLS) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof Deno.errors.NotCapable || /permission|--allow-ffi/i.test(message)) {
      return { ok: false, reason: `FFI is not allowed: run deno with --allow-ffi (${message})` };
    }
    const symbol = /symbol|undefined/i.test(message);
    return {
      ok: false,
      reason: symbol
        ? `${path} lacks a oneDNN 2.x function (${message}); ${INSTALL_HINT}`
        : `cannot open ${path} (${message}); ${INSTALL_HINT}`,
    };
  }
}
