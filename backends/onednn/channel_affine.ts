/**
 * `((x − shift) − minus) · scale`, squared if asked, over a `[pixels, channels]` block in one pass of
 * oneDNN's binary primitive with post-ops (vectorised, on every thread): `shift` and `scale` hold one
 * value per channel, `minus` one per element; any of them may be left out. Instance normalisation's
 * element-wise passes are of this form (backends/channel_affine.ts); tfjs-backend-wasm runs each of
 * their broadcasting `Sub`/`Mul` on one thread with a temporary each, 6–8× slower at 32,768 pixels of
 * 32 channels. The arithmetic is the same float32 operations in the same order.
 *
 * @module
 */
import { DNNL } from "./ffi.ts";
import { check, denseDesc, type DnnlContext, implName } from "./native.ts";
import { buildOwned, execArgs, type ReadyPrimitive } from "./owned.ts";
import { createPrimitiveDesc, type PostOp } from "./primitive_desc.ts";

/** Which terms a channel-affine pass has, on a block of `pixels × channels` values. */
export interface ChannelAffineSpec {
  kind: "channel_affine";
  pixels: number;
  channels: number;
  /** `x − shift`, one value per channel. */
  shift: boolean;
  /** `… − minus`, one value per element. */
  minus: boolean;
  /** `… · scale`, one value per channel. */
  scale: boolean;
  /** The result squared. */
  square: boolean;
}

/**
 * Whether a cached spec is a channel-affine pass.
 *
 * @param spec a spec
 * @returns true for {@link ChannelAffineSpec}
 */
export function isChannelAffineSpec(spec: { kind: string }): spec is ChannelAffineSpec {
  return spec.kind === "channel_affine";
}

/**
 * A key that identifies a spec, for caching primitives.
 *
 * @param s the pass
 * @returns a string unique per distinct spec
 */
export function channelAffineSpecKey(s: ChannelAffineSpec): string {
  const terms = [s.shift && "shift", s.minus && "minus", s.scale && "scale", s.square && "square"];
  return [s.kind, s.pixels, s.channels, ...terms.filter(Boolean)].join(",");
}

/**
 * Builds a channel-affine pass. `execute` takes x, then shift, minus and scale (those the spec has, in
 * that order), then the output.
 *
 * @param ctx the oneDNN context
 * @param s the pass (at least one of shift, minus, scale)
 * @returns the primitive
 * @throws {RangeError} when the spec has no term
 * @throws {BackendError} when oneDNN cannot build it
 */
export function createChannelAffinePrimitive(ctx: DnnlContext, s: ChannelAffineSpec): ReadyPrimitive {
  const { lib } = ctx;
  const block = [s.pixels, s.channels], perChannel = [1, s.channels];
  const terms: { alg: number; dims: number[] }[] = [
    ...(s.shift ? [{ alg: DNNL.binary_sub, dims: perChannel }] : []),
    ...(s.minus ? [{ alg: DNNL.binary_sub, dims: block }] : []),
    ...(s.scale ? [{ alg: DNNL.binary_mul, dims: perChannel }] : []),
  ];
  if (terms.length === 0) throw new RangeError("channel affine: no shift, minus or scale");
  const [first, ...rest] = terms;
  const postOps: PostOp[] = [
    ...rest.map((t) => ({ kind: "binary" as const, alg: t.alg, dims: t.dims })),
    ...(s.square ? [{ kind: "eltwise" as const, alg: DNNL.eltwise_square, alpha: 0, beta: 0 }] : []),
  ];
  const mdBlock = denseDesc(lib, block), mdFirst = denseDesc(lib, first.dims);
  const desc = new Uint8Array(DNNL.BINARY_DESC_BYTES);
  check(lib.dnnl_binary_desc_init(desc, first.alg, mdBlock, mdFirst, mdBlock), "dnnl_binary_desc_init");
  const pd = createPrimitiveDesc(ctx, desc, `channel affine on ${s.pixels}×${s.channels}`, { postOps });
  return buildOwned(ctx, [pd], (owned) => {
    const memory = (md: Uint8Array) => owned.memory(Deno.UnsafePointer.of(md), null);
    const x = memory(mdBlock), firstOperand = memory(mdFirst), out = memory(mdBlock);
    const args: [number, Deno.PointerObject][] = [[DNNL.arg_src, x], [DNNL.arg_src_1, firstOperand]];
    rest.forEach((t, i) => {
      args.push([DNNL.arg_post_op_base * (i + 1) | DNNL.arg_src_1, memory(denseDesc(lib, t.dims))]);
    });
    args.push([DNNL.arg_dst, out]);
    const packed = execArgs(args);
    const primitive = owned.primitive(pd);
    return {
      impl: implName(lib, pd),
      execute(pointers) {
        if (pointers.length !== args.length) {
          throw new RangeError(`channel affine: expected ${args.length} buffers, got ${pointers.length}`);
        }
        args.forEach(([, m], i) => check(lib.dnnl_memory_set_data_handle(m, pointers[i]), "set handle"));
        check(lib.dnnl_primitive_execute(primitive, ctx.stream, args.length, packed), "channel affine");
      },
      dispose() {
        owned.dispose();
      },
    };
  });
}
