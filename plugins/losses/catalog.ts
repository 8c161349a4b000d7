/**
 * The losses of a training iteration, as data: one entry per loss, in the official order, naming the
 * objective it joins, the flag that turns it off, the loss plugin that computes it (by what it
 * provides) and how its term is taken. The training session (which creates each loss through the
 * registry), the loss logs (ours and the official `loss_log.txt`), the loss plot and the training web
 * page all read this list; a new loss is its plugin file plus one entry here.
 *
 * @module
 */
import type { tf } from "../../backends/tf.ts";
import type { DiscriminatorOutput, GanLoss } from "./gan_loss.ts";
import type { FeatureMatchingLoss } from "./feature_matching.ts";
import type { VggLoss } from "./vgg_loss.ts";
import type { Vgg19Features } from "./vgg19.ts";

/** What a generator loss is computed from. */
export interface GeneratorLossInputs {
  /** D's outputs on the label with the generated image. */
  predFake: DiscriminatorOutput;
  /** D's outputs on the label with the real image (absent with `--no_ganFeat_loss`). */
  predReal?: DiscriminatorOutput;
  /** The generated images. */
  fake: tf.Tensor4D;
  /** VGG19 and its features of the real images (absent with `--no_vgg_loss`). */
  vgg?: { net: Vgg19Features; real: readonly tf.Tensor4D[] };
}

/** The flags that turn a loss off. */
export type LossSwitch = "no_ganFeat_loss" | "no_vgg_loss";

/** One loss of the catalog. */
export interface LossEntry<N extends string = string> {
  /** The official name (`loss_log.txt`, the web page). */
  name: N;
  /** The objective it is part of: the generator's (and encoder's) or the discriminator's. */
  net: "G" | "D";
  /** The flag that turns it off, if any. */
  off?: LossSwitch;
  /** Its colour in the loss plot. */
  color: string;
  /**
   * What the loss plugin computing it provides (e.g. "loss:vgg"): a run creates that plugin's loss once
   * through the registry, from the run's options its schema declares (e.g. `lambda_feat`).
   */
  provider?: string;
  /**
   * The generator term, from the inputs and the loss the provider made (D's terms are computed by the
   * session with the image pool and the "loss:gan" loss).
   */
  generatorTerm?(inputs: GeneratorLossInputs, loss: unknown): tf.Scalar;
}

/** The official losses, in the order `loss_log.txt` prints them. */
export const LOSSES = [
  {
    name: "G_GAN",
    net: "G",
    color: "#1f77b4",
    provider: "loss:gan",
    generatorTerm: (i: GeneratorLossInputs, gan: GanLoss) => gan.generator(i.predFake),
  },
  {
    name: "G_GAN_Feat",
    net: "G",
    off: "no_ganFeat_loss",
    color: "#ff7f0e",
    provider: "loss:feature-matching",
    generatorTerm: (i: GeneratorLossInputs, loss: FeatureMatchingLoss) => loss(i.predFake, i.predReal!),
  },
  {
    name: "G_VGG",
    net: "G",
    off: "no_vgg_loss",
    color: "#2ca02c",
    provider: "loss:vgg",
    generatorTerm: (i: GeneratorLossInputs, loss: VggLoss) => loss(i.vgg!.net, i.fake, i.vgg!.real),
  },
  { name: "D_real", net: "D", color: "#d62728" },
  { name: "D_fake", net: "D", color: "#9467bd" },
] as const satisfies readonly LossEntry[];

/** A loss name. */
export type LossName = typeof LOSSES[number]["name"];
/** One value per loss. */
export type Losses = Record<LossName, number>;
/** The loss names, in the official order. */
export const LOSS_NAMES: readonly LossName[] = LOSSES.map((l) => l.name);

/**
 * Whether a loss is on for a run.
 *
 * @param loss the catalog entry
 * @param flags the run's switches
 * @returns false when its `off` flag is set
 */
export function lossEnabled(loss: LossEntry, flags: Partial<Record<LossSwitch, boolean>>): boolean {
  return loss.off === undefined || !flags[loss.off];
}
