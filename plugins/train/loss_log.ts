/**
 * The loss log: one JSON object per line (`loss_log.jsonl` in the checkpoint folder), appended every
 * `print_freq` iterations — the machine-readable form of the official loss_log.txt.
 *
 * @module
 */
import { DataError } from "../../kernel/errors.ts";
import type { Losses } from "../losses/catalog.ts";

/** One line of the log. */
export interface LossRecord extends Losses {
  /** The 1-based epoch. */
  epoch: number;
  /** Samples done in this epoch (the official `epoch_iter`). */
  epoch_iter: number;
  /** Samples done in the run (the official `total_steps`). */
  total_steps: number;
  /** Seconds per sample since the last record. */
  time: number;
  /** The learning rate in force. */
  lr: number;
}

/**
 * Reads a loss log.
 *
 * @param path the .jsonl file
 * @returns its records in file order ([] when the file does not exist)
 * @throws {DataError} naming the line that is not a JSON object
 */
export async function readLossLog(path: string): Promise<LossRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const records: LossRecord[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      throw new DataError(path, `line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
  }
  return records;
}

/**
 * Appends a record.
 *
 * @param path the .jsonl file (created if missing)
 * @param record the record
 */
export async function appendLossLog(path: string, record: LossRecord): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(record) + "\n", { append: true });
}

/**
 * Drops records past a step, so that a run resumed from an older checkpoint does not leave a
 * stretch of abandoned history in its log.
 *
 * @param path the .jsonl file
 * @param totalSteps keep records with `total_steps` up to this
 * @returns the records kept
 */
export async function truncateLossLog(path: string, totalSteps: number): Promise<LossRecord[]> {
  const records = await readLossLog(path);
  const kept = records.filter((r) => r.total_steps <= totalSteps);
  if (kept.length !== records.length) {
    await Deno.writeTextFile(path, kept.map((r) => JSON.stringify(r) + "\n").join(""));
  }
  return kept;
}
