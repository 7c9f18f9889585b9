import type { Command } from 'commander';

/**
 * `drover config dump`: each setting drover reads from ansible.cfg and the
 * ANSIBLE_* variables, its effective value and where it came from (like
 * `ansible-config dump`, always with the origin), then the settings it does
 * not support.
 */
export function register(program: Command): void {
  const config = program.command('config').description('show the configuration drover reads (ansible.cfg, ANSIBLE_* variables)');
  config
    .command('dump')
    .description('each setting: its value and where it came from (default, env: ANSIBLE_X, or the ansible.cfg)')
    .option('--only-changed', 'only the settings not at their default (ansible-config dump --only-changed)')
    .option('--json', 'as JSON')
    .action(async (o: { onlyChanged?: boolean; json?: boolean }) => {
      const { loadConfig, SETTINGS, unsupportedWarning } = await import('./config-file.js');
      const c = loadConfig();
      const rows = Object.values(c.settings).filter((s) => !o.onlyChanged || s.origin !== 'default');
      const where = (k: keyof typeof SETTINGS) => {
        if (c.settings[k].ini) return c.settings[k].ini!;
        const [section, key] = SETTINGS[k].ini[0]!;
        return `[${section}] ${key}`;
      };
      if (o.json) {
        const settings = Object.fromEntries(rows.map((s) => [s.key, { value: s.value ?? null, origin: s.origin, name: SETTINGS[s.key].name, env: SETTINGS[s.key].env }]));
        process.stdout.write(JSON.stringify({ file: c.file ?? null, settings, unsupported: c.unsupported, notes: c.notes }, null, 2) + '\n');
        return;
      }
      const show = (v: unknown) => (v === undefined ? '(none)' : Array.isArray(v) ? (v.length ? v.join(', ') : '(none)') : String(v));
      const table = [['SETTING', 'VALUE', 'ORIGIN'], ...rows.map((s) => [where(s.key), show(s.value), s.origin + ('note' in SETTINGS[s.key] ? `  (${(SETTINGS[s.key] as { note: string }).note})` : '')])];
      const widths = [0, 1].map((i) => Math.max(...table.map((r) => r[i]!.length)));
      const lines = [`config file: ${c.file ?? '(none)'}`, ...table.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`.trimEnd())];
      for (const n of c.notes) lines.push(`note: ${n}`);
      const w = unsupportedWarning(c);
      if (w) lines.push(`unsupported: ${c.unsupported.join('; ')}`);
      process.stdout.write(lines.join('\n') + '\n');
      if (w) process.stderr.write(`[WARNING]: ${w}\n`);
    });
}
