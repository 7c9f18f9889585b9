import type { Command } from 'commander';

/** Registers `drover schema`. (Being written this session; replaced by the real command.) */
export function register(_program: Command): void {}
