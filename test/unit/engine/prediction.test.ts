import { describe, expect, it } from 'vitest';
import { comparePrediction } from '../../../src/engine/prediction.js';

const t = (host: string, task: string, where = `roles/r/tasks/main.yaml:${task.length}:3`) => ({ host, task, where });

describe('comparePrediction: check mode against the run that followed', () => {
  it('predicted and changed alike: no miss', () => {
    const both = [t('c', 'install chrony'), t('n1', 'install chrony')];
    expect(comparePrediction({ changed: both, unknown: [] }, { changed: [...both].reverse() })).toEqual({ over: [], under: [] });
  });

  it('a predicted change the run did not make is an over-prediction', () => {
    const r = comparePrediction({ changed: [t('c', 'chrony running')], unknown: [] }, { changed: [] });
    expect(r).toEqual({ over: [t('c', 'chrony running')], under: [] });
  });

  it('a change nobody predicted is an under-prediction; one called unknown is not', () => {
    const r = comparePrediction({ changed: [], unknown: [t('c', 'reload networkd')] }, { changed: [t('c', 'no public pools'), t('c', 'reload networkd')] });
    expect(r).toEqual({ over: [], under: [t('c', 'no public pools')] });
  });

  it('tasks are told apart by host, place and name (the same task on another host is another prediction)', () => {
    const r = comparePrediction({ changed: [t('c', 'x', 'a.yaml:1:1')], unknown: [] }, { changed: [t('n1', 'x', 'a.yaml:1:1'), t('c', 'x', 'b.yaml:1:1')] });
    expect(r.over).toEqual([t('c', 'x', 'a.yaml:1:1')]);
    expect(r.under).toEqual([t('n1', 'x', 'a.yaml:1:1'), t('c', 'x', 'b.yaml:1:1')]);
  });
});
