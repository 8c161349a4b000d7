/**
 * Test helper: records the options registered plugins are created with, to show that a recipe builds
 * what it uses through the registry.
 *
 * @module
 */
import type { Plugin } from "../../../kernel/plugin.ts";

/** One `create` call: the plugin's name and the resolved options it got. */
export interface CreateCall {
  name: string;
  options: Record<string, unknown>;
}

/**
 * Wraps the `create` of plugins so that each call is recorded (the plugins still build what they build).
 *
 * @param plugins the plugin objects, as registered
 * @returns the calls so far, and `restore` to unwrap them
 */
export function spyOnCreate(plugins: readonly object[]): { calls: CreateCall[]; restore(): void } {
  const calls: CreateCall[] = [];
  const originals = plugins.map((p) => (p as Plugin).create);
  plugins.forEach((p, i) => {
    const plugin = p as Plugin;
    plugin.create = (options, ctx) => {
      calls.push({ name: plugin.name, options: { ...options } });
      return originals[i].call(plugin, options, ctx);
    };
  });
  return {
    calls,
    restore: () => plugins.forEach((p, i) => ((p as Plugin).create = originals[i])),
  };
}
