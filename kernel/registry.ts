/**
 * The plugin registry: plugins register by name, pipelines and commands resolve them by name, and
 * third-party plugins load from a local path or URL exactly like ours.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { isAbsolute, resolve } from "node:path";
import type { KernelContext, Plugin } from "./plugin.ts";
import { closest, resolveOptions } from "./options.ts";
import { PipelineError } from "./errors.ts";

/** Plugins by name. */
export class Registry {
  #plugins = new Map<string, Plugin>();

  /**
   * Adds a plugin.
   *
   * @throws {PipelineError} when the object is not a plugin or its name is taken by another plugin
   */
  register(plugin: Plugin): this {
    checkPluginShape(plugin, "register()");
    const existing = this.#plugins.get(plugin.name);
    if (existing && existing !== plugin) {
      throw new PipelineError(
        `Cannot register plugin "${plugin.name}": a different plugin has that name already`,
      );
    }
    this.#plugins.set(plugin.name, plugin);
    return this;
  }

  /** Whether a plugin of that name is registered. */
  has(name: string): boolean {
    return this.#plugins.has(name);
  }

  /**
   * The plugin of that name.
   *
   * @throws {PipelineError} naming the closest registered plugin and listing them all
   */
  get(name: string): Plugin {
    const plugin = this.#plugins.get(name);
    if (plugin) return plugin;
    const hint = closest(name, this.#plugins.keys());
    throw new PipelineError(
      `Unknown plugin "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; registered plugins: ${
        [...this.#plugins.keys()].sort().join(", ") || "none"
      }`,
    );
  }

  /** Registered plugins, optionally of one role, sorted by name. */
  list(role?: string): Plugin[] {
    return [...this.#plugins.values()].filter((p) => !role || p.role === role)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Builds what a plugin provides from the user's options (validated against its schema).
   *
   * @throws {OptionsError} for a bad option; {PipelineError} for an unknown plugin
   */
  create<T = unknown>(name: string, options: Record<string, unknown>, ctx: KernelContext): T {
    const plugin = this.get(name);
    return plugin.create(resolveOptions(plugin.name, plugin.schema, options), ctx) as T;
  }
}

function checkPluginShape(value: unknown, where: string): asserts value is Plugin {
  const p = value as Partial<Plugin> | null;
  const missing = !p || typeof p !== "object"
    ? ["name", "role", "schema", "create"]
    : (["name", "role", "schema", "create"] as const).filter((k) => p[k] === undefined);
  if (missing.length) {
    throw new PipelineError(`${where} needs a plugin object (definePlugin); it lacks: ${missing.join(", ")}`);
  }
}

/** The registry our own plugins register with. */
export const registry: Registry = new Registry();

/**
 * Loads plugins from a module at a local path or URL and registers them. The module's default export,
 * its `plugin` export, or every element of its `plugins` export must be a plugin.
 *
 * @param specifier a path (relative to the working directory) or a `file:`/`https:` URL
 * @returns the plugins registered
 * @throws {PipelineError} when the module cannot be imported or exports no plugin
 */
export async function loadPlugin(specifier: string, target: Registry = registry): Promise<Plugin[]> {
  const url = /^[a-z]+:/i.test(specifier)
    ? specifier
    : pathToFileURL(isAbsolute(specifier) ? specifier : resolve(specifier)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (error) {
    throw new PipelineError(
      `Cannot load plugin module "${specifier}": ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const found = [mod.default, mod.plugin, ...(Array.isArray(mod.plugins) ? mod.plugins : [])]
    .filter((x) => x !== undefined);
  if (!found.length) {
    throw new PipelineError(
      `Cannot load plugin module "${specifier}": it exports no plugin (use \`export default definePlugin({...})\`)`,
    );
  }
  for (const p of found) {
    checkPluginShape(p, `Plugin module "${specifier}"`);
    target.register(p);
  }
  return found as Plugin[];
}
