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

/** Plugins by name, and by what they provide. */
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
   * The registered plugins that provide a capability (an entry of their `provides`), sorted by name.
   *
   * @param capability e.g. "generator", "netG:local", "loss:gan"
   * @returns them (none: an empty list)
   */
  providers(capability: string): Plugin[] {
    return this.list().filter((p) => p.provides.includes(capability));
  }

  /**
   * The one registered plugin that provides a capability.
   *
   * @param capability e.g. "netG:local", "optimizer:adam"
   * @returns the plugin
   * @throws {PipelineError} when none provides it (naming the closest capability and listing what is
   *   provided, with the plugins providing it), or several do (naming them)
   */
  provider(capability: string): Plugin {
    const found = this.providers(capability);
    if (found.length === 1) return found[0];
    if (found.length > 1) {
      throw new PipelineError(
        `Several plugins provide "${capability}": ${
          found.map((p) => p.name).join(", ")
        }; name one with registry.get(name)`,
      );
    }
    const all = this.capabilities();
    const hint = closest(capability, all);
    const listed = all.map((c) => `${c} (${this.providers(c).map((p) => p.name).join(", ")})`);
    throw new PipelineError(
      `No plugin provides "${capability}"${hint ? ` (did you mean "${hint}"?)` : ""}; provided: ${
        listed.join(", ") || "nothing"
      }`,
    );
  }

  /**
   * Every capability the registered plugins provide, sorted, optionally only those starting with a
   * prefix (e.g. "netG:" for the generators `--netG` can name).
   */
  capabilities(prefix = ""): string[] {
    const all = new Set(this.list().flatMap((p) => p.provides).filter((c) => c.startsWith(prefix)));
    return [...all].sort();
  }

  /**
   * Builds what the provider of a capability makes, from a recipe's composed options: of `values`, only
   * the keys its schema declares are passed (validated against that schema); the others belong to other
   * plugins of the recipe. Train builds its networks, losses and optimizers this way.
   *
   * @param capability what to build, e.g. "netD:multiscale"
   * @param values the recipe's options (and values it derives, e.g. a network's input channels)
   * @param ctx the kernel context
   * @returns what the plugin's `create` returns
   * @throws {PipelineError} when no plugin, or several, provide it; {OptionsError} for a bad value
   */
  provide<T = unknown>(capability: string, values: Record<string, unknown>, ctx: KernelContext): T {
    const plugin = this.provider(capability);
    const own = Object.fromEntries(
      Object.entries(values).filter(([key]) => Object.hasOwn(plugin.schema, key)),
    );
    return this.create<T>(plugin.name, own, ctx);
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
