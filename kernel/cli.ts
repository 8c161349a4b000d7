/**
 * The command-line layer every recipe uses (`deno task <name>` and `deno run -A scripts/<name>.ts`).
 * A command is declared once from a typed option schema (kernel/options.ts); this module turns it into
 * a `commander` command with generated `--help` (defaults shown), official snake_case flags
 * (`--label_nc 35`, `--n_downsample_global 4`), bare boolean flags (`--no_instance`), a global
 * `--backend` (env `P2PHD_BACKEND`), optional `--json`, and exit codes scripts can rely on:
 *
 * - 0: done;
 * - 1: the job found a problem or failed (a user error prints one line `error: <message>`, no stack;
 *   any other error is a bug and prints its stack);
 * - 2: usage error (unknown command or option, with the closest valid one; bad option value; an
 *   official flag we do not support, such as `--fp16`, with the reason: kernel/device_flags.ts).
 *
 * A command whose schema has the official `--gpu_ids` (kernel/device_flags.ts) gets its backend chosen
 * accordingly. `---flag` (three dashes, a typo in one official script) is read as `--flag` with a warning.
 *
 * Colours only when the stream is a terminal and `NO_COLOR` is unset.
 *
 * @example
 * ```ts
 * const command = defineCommand({
 *   name: "inspect",
 *   description: "check a label map",
 *   schema: defineSchema({ label_nc: { type: "int", default: 35, min: 1, doc: "number of classes" } }),
 *   positional: [{ name: "label", doc: "label map PNG" }],
 *   json: true,
 *   run: (ctx) => ctx.emit({ file: ctx.args.label, classes: ctx.options.label_nc }, (r) => `${r.file}`),
 * });
 * if (import.meta.main) await main(command);
 * ```
 *
 * @module
 */
import { Command, CommanderError, type Help, Option } from "commander";
import pc from "picocolors";
import { closest, type OptionsOf, type OptionSpec, resolveOptions, type Schema } from "./options.ts";
import { isUserError, OptionsError } from "./errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { type BackendChoice, BACKENDS, selectBackend } from "../backends/select.ts";
import { type DeviceFlags, type DeviceRequest, deviceRequest } from "./device_flags.ts";

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A positional argument of a command. */
export interface PositionalSpec {
  /** Its name, shown in usage and used as the key in `ctx.args`. */
  name: string;
  /** One line on what it is. */
  doc: string;
  /** Whether it must be given (default true). */
  required?: boolean;
  /** Whether it takes all remaining arguments (only the last one); its value is a `string[]`. */
  variadic?: boolean;
}

/** Picocolors' colour functions (identity functions when colour is off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Where a command writes, and what it knows of its terminal; injectable for tests. */
export interface CliIO {
  /** Writes text to standard output as is. */
  stdout(text: string): void;
  /** Writes text to standard error as is. */
  stderr(text: string): void;
  /** Whether colour may be used on stdout and stderr. */
  color: { stdout: boolean; stderr: boolean };
  /** Terminal width for help, when known. */
  columns?: number;
  /** Environment lookup (`P2PHD_BACKEND`). */
  env(name: string): string | undefined;
}

/** What a command's `run` receives. */
export interface CommandContext<S extends Schema> {
  /** The validated options, defaults filled in. */
  options: OptionsOf<S>;
  /** Positional arguments by name (`string[]` for a variadic one, undefined when optional and absent). */
  args: Record<string, string | string[] | undefined>;
  /** The option keys the user typed (the rest are defaults), e.g. to check them against a checkpoint. */
  typed: ReadonlySet<string>;
  /** Whether `--json` was given (always false for commands without `json: true`). */
  json: boolean;
  /** The backend selected by `--backend`, or null for commands declared with `backend: false`. */
  backend: BackendChoice | null;
  /** Messages and progress on stderr. */
  log: Logger;
  /** Colours for stdout (no-ops when stdout is not a terminal or `NO_COLOR` is set). */
  color: Colors;
  /** Writes a line of human-readable output to stdout. */
  print(line: string): void;
  /**
   * Writes a result to stdout: JSON with `--json`, else `format(data)`.
   *
   * @param data the result (JSON-serialisable)
   * @param format how a human reads it
   */
  emit<T>(data: T, format: (data: T) => string): void;
}

/** A command: options, positional arguments and what it does. */
export interface CommandDef<S extends Schema = Schema> {
  kind: "command";
  /** Its name (the script name, or the subcommand name inside a group). */
  name: string;
  /** One line on what it does. */
  description: string;
  /** Its options; each key becomes a `--key` flag. */
  schema: S;
  /** Positional arguments, in order. */
  positional: readonly PositionalSpec[];
  /** Whether it offers `--json` (commands whose output is data). */
  json: boolean;
  /** Whether it offers `--backend` and selects a backend before `run` (default true). */
  backend: boolean;
  /** Example invocations shown at the end of `--help`. */
  examples: readonly string[];
  /**
   * Does the job.
   *
   * @returns the exit code (0 or nothing: done; 1: the job found a problem)
   */
  run(ctx: CommandContext<S>): number | void | Promise<number | void>;
}

/** A command with subcommands (`bench kernels|data|nets|train`). */
export interface GroupDef {
  kind: "group";
  name: string;
  description: string;
  /** Its subcommands. */
  commands: readonly CommandDef[];
}

/** What `defineCommand` takes: a command with optional parts left out. */
export type CommandInput<S extends Schema> =
  & Pick<CommandDef<S>, "name" | "description" | "run">
  & Partial<Pick<CommandDef<S>, "schema" | "positional" | "json" | "backend" | "examples">>;

/**
 * Declares a command, keeping its option types for `run`.
 *
 * @param def name, description, schema, positional arguments, `json`, `backend`, `examples`, `run`
 * @returns the command, ready for `runCli` or a group
 * @throws {Error} when a positional argument other than the last is variadic, or an option is named
 *   `json`/`backend`/`help` (they are global)
 */
export function defineCommand<const S extends Schema = Record<never, never>>(
  def: CommandInput<S>,
): CommandDef<S> {
  const positional = def.positional ?? [];
  positional.forEach((p, i) => {
    if (p.variadic && i !== positional.length - 1) {
      throw new Error(`command ${def.name}: only the last positional argument may be variadic ("${p.name}")`);
    }
  });
  for (const key of ["json", "backend", "help"]) {
    if (def.schema && key in def.schema) {
      throw new Error(`command ${def.name}: "--${key}" is a global option`);
    }
  }
  return {
    kind: "command",
    schema: {} as S,
    positional,
    json: false,
    backend: true,
    examples: [],
    ...def,
  };
}

/**
 * Declares a command with subcommands.
 *
 * @param def name, description and the subcommands
 * @returns the group, ready for `runCli`
 */
export function defineGroup(def: Omit<GroupDef, "kind">): GroupDef {
  return { kind: "group", ...def };
}

function colorAllowed(stream: { isTerminal(): boolean }): boolean {
  return stream.isTerminal() && !Deno.env.get("NO_COLOR");
}

/** The real terminal: Deno's stdout/stderr, colour on a TTY unless `NO_COLOR`. */
export function denoIO(): CliIO {
  const enc = new TextEncoder();
  let columns: number | undefined;
  try {
    columns = Deno.consoleSize().columns;
  } catch {
    columns = undefined;
  }
  return {
    stdout: (text) => void Deno.stdout.writeSync(enc.encode(text)),
    stderr: (text) => void Deno.stderr.writeSync(enc.encode(text)),
    color: { stdout: colorAllowed(Deno.stdout), stderr: colorAllowed(Deno.stderr) },
    columns,
    env: (name) => Deno.env.get(name),
  };
}

/**
 * A usage mistake found while running (a malformed flag value, flags that contradict each other): the
 * CLI prints `error: <message>; see <command> --help` and exits 2, as for a bad option.
 */
export class UsageError extends Error {}

function shownValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function describe(spec: OptionSpec): string {
  const parts = [spec.doc];
  if (spec.type === "enum") parts.push(`one of ${spec.choices.join(", ")}`);
  if (spec.type === "int" || spec.type === "number") {
    if (spec.min !== undefined && spec.max !== undefined) parts.push(`${spec.min} to ${spec.max}`);
    else if (spec.min !== undefined) parts.push(`≥ ${spec.min}`);
    else if (spec.max !== undefined) parts.push(`≤ ${spec.max}`);
  }
  if (spec.type === "list") parts.push("repeatable");
  else if (spec.type !== "boolean") {
    parts.push(spec.default === null ? "optional" : `default: ${shownValue(spec.default)}`);
  }
  return parts.length > 1 ? `${parts[0]} (${parts.slice(1).join("; ")})` : parts[0];
}

const PLACEHOLDER: Record<Exclude<OptionSpec["type"], "boolean">, string> = {
  int: "<int>",
  number: "<number>",
  string: "<text>",
  enum: "<choice>",
  list: "<text>",
};

function addSchemaOptions(cmd: Command, schema: Schema): void {
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.type === "list") {
      cmd.addOption(
        new Option(`--${key} ${PLACEHOLDER.list}`, describe(spec))
          .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
      );
    } else if (spec.type !== "boolean") {
      cmd.addOption(new Option(`--${key} ${PLACEHOLDER[spec.type]}`, describe(spec)));
    } else if (!spec.default) {
      cmd.addOption(new Option(`--${key}`, spec.doc));
    } else {
      cmd.addOption(new Option(`--${key}`, `${spec.doc} (default: on)`));
      cmd.addOption(new Option(`--no-${key}`, `turn "${key}" off`));
    }
  }
}

function styledHelp(color: Colors): Partial<Help> {
  return {
    styleTitle: (s) => color.bold(s),
    styleCommandText: (s) => color.bold(s),
    styleOptionText: (s) => color.cyan(s),
    styleArgumentText: (s) => color.cyan(s),
    styleSubcommandText: (s) => color.cyan(s),
  };
}

interface Parsed {
  def: CommandDef;
  cmd: Command;
  operands: unknown[];
}

function buildLeaf(def: CommandDef, io: CliIO, color: Colors, onAction: (p: Parsed) => void): Command {
  const cmd = new Command(def.name).description(def.description);
  for (const p of def.positional) {
    const name = p.variadic ? `${p.name}...` : p.name;
    cmd.argument(p.required === false ? `[${name}]` : `<${name}>`, p.doc);
  }
  addSchemaOptions(cmd, def.schema);
  if (def.json) cmd.addOption(new Option("--json", "print the result as JSON on stdout"));
  if (def.backend) {
    const env = io.env("P2PHD_BACKEND");
    cmd.addOption(
      new Option(
        "--backend <name>",
        `compute backend: ${BACKENDS.join(", ")} (default: ${env ?? "auto"}${
          env ? ", from P2PHD_BACKEND" : ""
        })`,
      ),
    );
  }
  if (def.examples.length) {
    cmd.addHelpText("after", `\n${color.bold("Examples:")}\n${def.examples.map((e) => `  ${e}`).join("\n")}`);
  }
  cmd.action((...operands: unknown[]) => onAction({ def, cmd, operands }));
  return cmd;
}

function configure(cmd: Command, io: CliIO, color: Colors): void {
  cmd.exitOverride()
    .showSuggestionAfterError(false)
    .configureHelp(styledHelp(color))
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: () => {},
      getOutHelpWidth: () => io.columns ?? 100,
      getErrHelpWidth: () => io.columns ?? 100,
      getOutHasColors: () => io.color.stdout,
      getErrHasColors: () => io.color.stderr,
    });
}

function usageMessage(error: CommanderError, active: Command, root: Command): string {
  const name = [active.parent?.name(), active.name()].filter(Boolean).join(" ");
  const unknownOption = /unknown option '([^']+)'/.exec(error.message);
  if (error.code === "commander.unknownOption" && unknownOption) {
    const flags = active.options.map((o) => o.long).filter((f): f is string => Boolean(f));
    const hint = closest(unknownOption[1], [...flags, "--help"]);
    return `unknown option ${unknownOption[1]} for ${name}${
      hint ? ` (did you mean ${hint}?)` : ""
    }; see ${name} --help`;
  }
  const unknownCommand = /unknown command '([^']+)'/.exec(error.message);
  if (error.code === "commander.unknownCommand" && unknownCommand) {
    const names = root.commands.map((c) => c.name()).filter((n) => n !== "help");
    const hint = closest(unknownCommand[1], names);
    return `unknown command "${unknownCommand[1]}" for ${root.name()}${
      hint ? ` (did you mean "${hint}"?)` : ""
    }; ` +
      `commands: ${names.join(", ")}`;
  }
  return `${error.message.replace(/^error: /, "").split("\n")[0].replace(/\.$/, "")}; see ${name} --help`;
}

function splitOperands(def: CommandDef, operands: unknown[]): Record<string, string | string[] | undefined> {
  const args: Record<string, string | string[] | undefined> = {};
  def.positional.forEach((p, i) => {
    args[p.name] = operands[i] as string | string[] | undefined;
  });
  return args;
}

async function execute(parsed: Parsed, io: CliIO, color: Colors): Promise<number> {
  const { def, cmd } = parsed;
  const given = cmd.opts() as Record<string, unknown>;
  const fromSchema: Record<string, unknown> = {};
  for (const key of Object.keys(def.schema)) fromSchema[key] = given[key];
  let options: OptionsOf<Schema>;
  try {
    options = resolveOptions(def.name, def.schema, fromSchema);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    const spec = def.schema[error.key];
    const hint = spec?.type === "enum" ? closest(String(fromSchema[error.key]), spec.choices) : undefined;
    throw new UsageError(`${error.message}${hint ? ` (did you mean "${hint}"?)` : ""}`);
  }
  let device: DeviceRequest | undefined;
  if ("gpu_ids" in def.schema) {
    try {
      device = deviceRequest(def.name, options as unknown as DeviceFlags);
    } catch (error) {
      if (!(error instanceof OptionsError)) throw error;
      throw new UsageError(error.message);
    }
  }
  let backend: BackendChoice | null = null;
  if (def.backend) {
    const name = (given.backend as string | undefined) ?? io.env("P2PHD_BACKEND") ?? "auto";
    if (!(BACKENDS as readonly string[]).includes(name)) {
      const hint = closest(name, BACKENDS);
      throw new UsageError(
        `unknown backend "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; choose one of ${
          BACKENDS.join(", ")
        }`,
      );
    }
    backend = await selectBackend(name, device);
  }
  const json = Boolean(given.json);
  const print = (line: string) => io.stdout(line + "\n");
  const typed = new Set(Object.keys(def.schema).filter((key) => cmd.getOptionValueSource(key) === "cli"));
  const log = createLogger();
  if (backend?.placement && typed.has("gpu_ids")) io.stderr(`${backend.placement}\n`);
  const code = await def.run({
    options,
    args: splitOperands(def, parsed.operands),
    typed,
    json,
    backend,
    log,
    color,
    print,
    emit: (data, format) => print(json ? JSON.stringify(data, null, 2) : format(data)),
  });
  return code ?? EXIT.ok;
}

/**
 * Parses `argv` for a command (or a group of subcommands), runs it and reports errors. Does not exit.
 *
 * @param command a command (`defineCommand`) or a group (`defineGroup`)
 * @param argv the arguments after the script name (`Deno.args`)
 * @param io where output goes (default: the real terminal)
 * @returns the exit code: 0 done, 1 the job failed or found a problem, 2 usage error
 */
export async function runCli(
  command: CommandDef | GroupDef,
  argv: string[],
  io: CliIO = denoIO(),
): Promise<number> {
  const color = pc.createColors(io.color.stdout);
  const errColor = pc.createColors(io.color.stderr);
  const fail = (message: string) => io.stderr(`${errColor.red("error:")} ${message}\n`);
  let parsed: Parsed | undefined;
  const onAction = (p: Parsed) => void (parsed = p);
  let root: Command;
  if (command.kind === "group") {
    root = new Command(command.name).description(command.description);
    configure(root, io, color);
    for (const sub of command.commands) {
      const leaf = buildLeaf(sub, io, color, onAction);
      configure(leaf, io, color);
      root.addCommand(leaf);
    }
  } else {
    root = buildLeaf(command, io, color, onAction);
    configure(root, io, color);
  }
  let active = root;
  root.hook("preSubcommand", (_cmd, sub) => void (active = sub));
  try {
    await root.parseAsync(
      argv.map((arg) => {
        const typo = /^---(\w+)(=.*)?$/.exec(arg);
        if (!typo) return arg;
        io.stderr(
          `${errColor.yellow("warning:")} read ${arg} as --${typo[1]}${typo[2] ?? ""} ` +
            "(three dashes: a typo, as in the official scripts/test_1024p_feat.sh)\n",
        );
        return `--${typo[1]}${typo[2] ?? ""}`;
      }),
      { from: "user" },
    );
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
    if (error.code === "commander.help") return EXIT.usage;
    fail(usageMessage(error, active, root));
    return EXIT.usage;
  }
  if (!parsed) return EXIT.usage;
  try {
    return await execute(parsed, io, color);
  } catch (error) {
    if (error instanceof UsageError) {
      fail(`${error.message}; see ${parsed.cmd.name()} --help`);
      return EXIT.usage;
    }
    if (isUserError(error)) {
      fail(error.message.split("\n").join(" "));
      return EXIT.failed;
    }
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`${errColor.red("internal error")} (a bug; please report it with this trace):\n${stack}\n`);
    return EXIT.failed;
  }
}

/**
 * Runs a command on `Deno.args` and exits with its code; the one line a script's `import.meta.main`
 * block needs.
 *
 * @param command a command or a group
 * @param argv the arguments (default `Deno.args`)
 */
export async function main(command: CommandDef | GroupDef, argv: string[] = Deno.args): Promise<never> {
  Deno.exit(await runCli(command, argv));
}
