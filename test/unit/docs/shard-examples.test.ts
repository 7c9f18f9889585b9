// The fan-out examples in docs/examples/ (README: "Fanning a run out") are valid YAML and name every shard 1..N exactly once:
// the GitHub Actions matrix as its expressions expand, the Kubernetes Indexed Job by running its shell line with each JOB_COMPLETION_INDEX.
// Neither can run here (no GitHub runner, no Kubernetes cluster); this checks what can be checked without them.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { shardValue } from '../../../src/cli/flag-values.js';

const DIR = join(__dirname, '../../../docs/examples');

function yamlDocs(file: string): Record<string, any>[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'), { strict: true, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not YAML documents`);
  for (const d of docs) expect(d.errors, `${file}: ${d.errors.join('\n')}`).toEqual([]);
  return docs.map((d) => d.toJS());
}

/** The shards 1..N as a set of "K/N" values, each parsed by the flag's own parser. */
function expectWholeSplit(values: string[], n: number): void {
  const parsed = values.map((v) => shardValue(v));
  expect(parsed.map((s) => s.count)).toEqual(values.map(() => n));
  expect(parsed.map((s) => s.index).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

describe('docs/examples/shard-github-actions.yml', () => {
  const wf = parseDocument(readFileSync(join(DIR, 'shard-github-actions.yml'), 'utf8'), { strict: true, uniqueKeys: true });
  const w = wf.toJS() as Record<string, any>;

  it('parses, and its matrix expands to --shard 1/N … N/N with one event log each', () => {
    expect(wf.errors).toEqual([]);
    const play = w.jobs.play;
    const shards: number[] = play.strategy.matrix.shard;
    expect(play.strategy['fail-fast']).toBe(false);
    const run: string = play.steps.find((s: any) => typeof s.run === 'string' && s.run.includes('drover play')).run;
    // GitHub substitutes ${{ … }} before the shell reads the line.
    const expand = (s: string, k: number) => s.replaceAll('${{ matrix.shard }}', String(k));
    const lines = shards.map((k) => /--shard (\S+) --events (\S+)/.exec(expand(run, k)));
    expect(lines.every(Boolean)).toBe(true);
    const n = Number(/\/(\d+)$/.exec(lines[0]![1]!)![1]);
    expect(n).toBe(shards.length);
    expectWholeSplit(lines.map((m) => m![1]!), n);
    // The uploaded artifact is the file --events wrote, one name per shard.
    const upload = play.steps.find((s: any) => String(s.uses).startsWith('actions/upload-artifact'));
    expect(upload.if).toBe('always()');
    expect(shards.map((k) => expand(upload.with.path, k))).toEqual(lines.map((m) => m![2]));
    expect(new Set(shards.map((k) => expand(upload.with.name, k))).size).toBe(shards.length);
  });

  it('merges every shard\'s log in a job that runs after them, also when one failed', () => {
    const recap = w.jobs.recap;
    expect(recap.needs).toBe('play');
    expect(recap.if).toBe('always()');
    const download = recap.steps.find((s: any) => String(s.uses).startsWith('actions/download-artifact'));
    expect(download.with).toMatchObject({ pattern: 'events-*', 'merge-multiple': true });
    const merge: string = recap.steps.find((s: any) => typeof s.run === 'string' && s.run.includes('events merge')).run;
    expect(merge).toBe(`npx drover events merge ${download.with.path}/*.jsonl`);
  });
});

describe('docs/examples/shard-k8s-indexed-job.yaml and shard-k8s-recap-job.yaml', () => {
  const [pvc, job] = yamlDocs('shard-k8s-indexed-job.yaml');
  const [recap] = yamlDocs('shard-k8s-recap-job.yaml');

  it('an Indexed Job of N pods whose shell line gives shard 1/N … N/N (JOB_COMPLETION_INDEX counts from 0)', () => {
    expect(pvc).toMatchObject({ kind: 'PersistentVolumeClaim', spec: { accessModes: ['ReadWriteMany'] } });
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed' } });
    const n: number = job!.spec.completions;
    expect(job!.spec.parallelism).toBe(n);
    const [shell, flag, script] = job!.spec.template.spec.containers[0].command as string[];
    expect([shell, flag]).toEqual(['/bin/sh', '-c']);
    // The very line, run by sh with each index; a stand-in npx prints the arguments drover would get.
    const bin = mkdtempSync(join(tmpdir(), 'drover-k8s-example-'));
    writeFileSync(join(bin, 'npx'), '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    chmodSync(join(bin, 'npx'), 0o755);
    const runs = Array.from({ length: n }, (_, i) =>
      execFileSync('/bin/sh', ['-c', script!], { env: { PATH: `${bin}:/usr/bin:/bin`, JOB_COMPLETION_INDEX: String(i) }, encoding: 'utf8' }).trim().split('\n'),
    );
    for (const args of runs) expect(args.slice(0, 2)).toEqual(['drover', 'play']);
    const arg = (args: string[], name: string) => args[args.indexOf(name) + 1]!;
    expectWholeSplit(runs.map((a) => arg(a, '--shard')), n);
    const logs = runs.map((a) => arg(a, '--events'));
    expect(new Set(logs).size).toBe(n);
    // Each log lands on the shared volume, where the recap Job's glob finds it.
    const mount = job!.spec.template.spec.containers[0].volumeMounts.find((v: any) => v.name === 'events').mountPath;
    for (const l of logs) expect(l).toMatch(new RegExp(`^${mount}/shard-\\d+\\.jsonl$`));
    expect(job!.spec.template.spec.volumes.find((v: any) => v.name === 'events').persistentVolumeClaim.claimName).toBe(pvc!.metadata.name);
  });

  it('the recap Job merges the logs from the same volume', () => {
    const c = recap!.spec.template.spec.containers[0];
    expect(c.command).toEqual(['/bin/sh', '-c', `exec npx drover events merge ${c.volumeMounts[0].mountPath}/shard-*.jsonl`]);
    expect(recap!.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(pvc!.metadata.name);
  });
});
