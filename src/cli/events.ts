import type { Command } from 'commander';
import { EXIT, InputError } from '../util/errors.js';

/**
 * `drover events merge FILE…`: the event logs (`--events`) of a run fanned
 * out over several runners (`--shard K/N`) as one PLAY RECAP, and the exit
 * status the whole run would have had: 2 if a host failed, 3 if one was
 * unreachable, 4 if the logs are not one whole run (src/report/merge.ts).
 */
export function register(program: Command): void {
  const events = program.command('events').description('read event logs written with --events');
  events
    .command('merge')
    .description('one PLAY RECAP from the event logs of a run split with --shard K/N (exit 2 if a host failed, 3 if unreachable, 4 if the logs are not one whole run)')
    .argument('<files...>', 'event logs (JSON lines, written by play/ad-hoc --events)')
    .option('--no-color', 'no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)')
    .action(async (files: string[], o: { color?: boolean }) => {
      process.exitCode = await mergeCommand(files, o.color !== false);
    });
}

async function mergeCommand(files: string[], color: boolean): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const { displayPath } = await import('../util/source.js');
  const { readLoggedRuns, mergeLoggedRuns } = await import('../report/merge.js');
  const { colorEnabled, formatRecap, formatSeconds } = await import('../report/console.js');
  const pc = (await import('picocolors')).default;
  const c = pc.createColors(colorEnabled(process.stdout, process.env, color ? undefined : false));

  // An unreadable or malformed file is an input error (exit 4) before anything is printed.
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      throw new InputError(`${displayPath(f)}: cannot read this event log (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const merged = mergeLoggedRuns(files.flatMap((f) => readLoggedRuns(displayPath(f), read(f))));
  const lines = [`MERGED ${merged.runs.length} run${merged.runs.length === 1 ? '' : 's'} ${'*'.repeat(60)}`];
  for (const r of merged.runs) {
    const name = r.shard ? `shard ${r.shard.index}/${r.shard.count}` : 'run';
    const time = r.durationMs !== undefined ? formatSeconds(r.durationMs) : 'no recap';
    lines.push(`${name.padEnd(12)} ${String(Object.keys(r.hosts).length).padStart(6)} hosts  ${time.padStart(8)}  ${r.file}:${r.line}`);
  }
  process.stdout.write(lines.join('\n') + '\n' + formatRecap(merged.hosts, merged.check, c) + '\n');
  for (const w of merged.warnings) process.stderr.write(c.magenta(`[WARNING]: ${w}`) + '\n');
  for (const e of merged.errors) process.stderr.write(c.red(`error: ${e}`) + '\n');
  if (merged.errors.length) return EXIT.invalidInput;
  const tallies = Object.values(merged.hosts);
  if (tallies.some((t) => t.failed > 0)) return EXIT.taskFailed;
  if (tallies.some((t) => t.unreachable > 0)) return EXIT.unreachable;
  return EXIT.ok;
}
