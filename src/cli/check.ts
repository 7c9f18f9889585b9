import type { Command } from 'commander';

/** Registers `drover check`. (Being written this session; replaced by the real command.) */
export function register(_program: Command): void {}
