import type { Command } from 'commander';

/** Registers `drover inventory`. (Being written this session; replaced by the real command.) */
export function register(_program: Command): void {}
