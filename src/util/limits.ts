import { InputError } from './errors.js';
import type { SourcePos } from './source.js';

/**
 * Bounds on what input may make drover do, so a hostile or mistaken file
 * fails with a clear error instead of exhausting memory or CPU (command
 * output is not an error: what is past its bound is dropped with a marker,
 * transport/output-capture.ts). One table:
 * each limit has a default and an environment variable that overrides it
 * (README, "Limits").
 */
export const LIMITS = {
  yamlValues: {
    env: 'DROVER_MAX_YAML_VALUES',
    default: 1_000_000,
    what: 'values one YAML document may hold once its aliases are expanded',
  },
  includeDepth: {
    env: 'DROVER_MAX_INCLUDE_DEPTH',
    default: 100,
    what: 'task files nested through include_tasks',
  },
  hostRange: {
    env: 'DROVER_MAX_HOST_RANGE',
    default: 100_000,
    what: 'hosts one inventory entry with ranges (web[1:N]) may name',
  },
  commandOutput: {
    env: 'DROVER_MAX_COMMAND_OUTPUT',
    default: 1024 * 1024,
    what: 'bytes of stdout, and of stderr, a command or shell task keeps (the first and last halves; the middle is dropped with a marker)',
  },
} as const;

export type LimitName = keyof typeof LIMITS;

/** The limit in force: the environment's override, or the default. */
export function limit(name: LimitName): number {
  const l = LIMITS[name];
  const raw = process.env[l.env];
  if (raw === undefined || raw === '') return l.default;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new InputError(`${l.env}=${raw}: expected a positive whole number (the most ${l.what})`);
  return Number(raw);
}

/** The error for input past a limit: what, how much, and how to raise it. */
export function overLimit(name: LimitName, detail: string, pos?: SourcePos): InputError {
  const l = LIMITS[name];
  return new InputError(`${detail}: more than ${limit(name)} ${l.what}`, pos, `set ${l.env} to raise the limit`);
}
