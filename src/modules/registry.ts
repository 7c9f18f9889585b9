import type { Module } from './types.js';

// Modules register themselves here; the engine looks them up by name and
// never imports one directly.
const modules = new Map<string, Module>();

export function registerModule(m: Module): void {
  for (const name of [m.name, `ansible.builtin.${m.name}`, ...(m.aliases ?? [])]) {
    if (modules.has(name) && modules.get(name) !== m) throw new Error(`module ${name} registered twice`);
    modules.set(name, m);
  }
}

export function getModule(name: string): Module | undefined {
  return modules.get(name);
}

export function moduleNames(): string[] {
  return [...new Set([...modules.values()].map((m) => m.name))].sort();
}

export function allModules(): Module[] {
  return [...new Set(modules.values())];
}
