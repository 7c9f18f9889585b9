import type { SourcePos } from '../util/source.js';

/** A variable a template or expression reads (static analysis for `drover check`). */
export interface VarRef {
  /** The top-level variable name: `hostvars` for `hostvars.controller.mgmt_ip`. */
  root: string;
  /** The static part of the path as written: `hostvars.controller.mgmt_ip`, `result.results[0].rc`. */
  path: string;
  /** Where it is read (absent when the caller gave no position). */
  pos?: SourcePos;
  /**
   * True when the read may legitimately find nothing: guarded by `is defined`,
   * `default`, `defined '…'`, or a bare name inside {{#each}}/{{#with}} that
   * may be a field of the item. A checker should not report these as missing.
   */
  optional?: boolean;
}

/** A parsed `when`/`changed_when`/`failed_when`/`until`/`that` expression. */
export interface CompiledCondition {
  readonly expr: string;
  readonly pos?: SourcePos;
  /** The expression's value with Python semantics (`a or b` yields a or b). Undefined variables throw. */
  value(vars: Record<string, unknown>): unknown;
  /** Python truthiness of the value. */
  test(vars: Record<string, unknown>): boolean;
  /** The variables it reads. */
  refs(): VarRef[];
}
