import type { ZodType } from 'zod';
import type { Connection, ExecOptions, ExecResult } from '../transport/connection.js';
import type { FactCache } from '../facts/cache.js';
import type { Fact } from '../facts/fact.js';
import type { FileQuery } from '../facts/file-state.js';
import type { TemplateOptions } from '../template/index.js';

/** A file change, shown by --diff (before/after text, already redacted by the engine). */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

/** One planned change, e.g. "create /etc/chrony/chrony.conf" or "mode 0644 -> 0600". */
export interface Change {
  summary: string;
  diff?: FileDiff;
}

/**
 * What a module would do on this host. `changes` empty = nothing to do (ok).
 * `unknown` set = the module cannot predict without running (a `shell` task
 * without creates/removes): check mode reports "unknown", never a guess.
 */
export interface Plan<D = unknown> {
  changes: Change[];
  unknown?: string;
  /** Module-private data computed while planning, handed to apply. */
  data?: D;
  /** Values registered when apply does not run (nothing to do, or check mode). */
  result?: Record<string, unknown>;
}

/** What a task registers. `facts` are merged into the host's variables (set_fact, include_vars). */
export interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  msg?: string;
  facts?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Where a role- or playbook-relative file is looked up. */
export type LocalFileKind = 'files' | 'templates' | 'vars' | 'tasks';

/** An argument that names a controller-side file. */
export interface LocalFileArg {
  arg: string;
  kind: LocalFileKind;
  /** template: check also reads the variables the file uses; vars: a vars file (read by definesVars). */
  content?: 'template' | 'vars';
  /** No lookup when this argument is true (copy's `remote_src`: the file is on the host). */
  unlessArg?: string;
}

/**
 * Everything a module may use. Modules never import the engine: the engine
 * builds this context per (host, task).
 */
export interface TaskContext {
  /** inventory_hostname */
  host: string;
  /** The host's connection (the delegate's, with delegate_to). */
  conn: Connection;
  /** Run a command with the task's become user, environment and timeout applied. Logged at -v, redacted. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Like exec, but a non-zero exit raises a ModuleError naming the command and its stderr. */
  run(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** The task's variables (templated args are already rendered). */
  vars: Readonly<Record<string, unknown>>;
  check: boolean;
  /**
   * Check mode: an earlier task of this run predicted a change (or could not
   * predict) on this host, so the host may not yet look as it will when this
   * task runs — a file it needs may be created by then (a package's config).
   */
  earlierChangesPredicted: boolean;
  diff: boolean;
  /** The effective become user (undefined: the login user). */
  becomeUser?: string;
  facts: FactCache;
  /**
   * Read a named fact (src/facts/): with the task's exec, once per host and
   * cached under its key (unless the fact is uncached). Planning reads host
   * state only through this.
   */
  fact<P, T>(def: Fact<P, T>, params: P): Promise<T>;
  /** Evaluate a `when`-style expression (assert's `that`) against the task's variables. */
  evaluate(expression: string): boolean;
  /**
   * Render a template file's text with the task's variables: Jinja2, or
   * Handlebars when `file` ends in .hbs; `file` also names it in errors.
   */
  render(text: string, extraVars?: Record<string, unknown>, file?: string, options?: TemplateOptions): string;
  /** Expand a leading `~` / `~user` the way the target's shell would (paths like `~/.os_credentials`). */
  expandUser(path: string): Promise<string>;
  /** Resolve a controller-side file: role dir/<kind>/p, then playbook dir/<kind>/p, then as given. */
  findFile(kind: LocalFileKind, p: string): string;
  /** Mark a value secret: masked in every output from now on. */
  secret(value: unknown): void;
  /** Verbose log line (-v). */
  log(message: string): void;
}

/** What `drover doc` shows of a module besides its arguments (those come from the schema). */
export interface ModuleDoc {
  /** One line: what the module does. */
  short: string;
  /** Example tasks: a YAML task list, as a playbook holds it (test/unit/modules/module-docs.test.ts loads and validates them). */
  examples: string;
}

export interface Module<A = any, D = any> {
  name: string;
  /** Other names accepted in playbooks, e.g. 'ansible.builtin.copy'. */
  aliases?: string[];
  /** `drover doc`: a one-line description and examples. */
  doc: ModuleDoc;
  /** Argument schema; also exported as JSON Schema by `drover schema`. */
  schema: ZodType<A>;
  /** 'controller' modules (debug, set_fact, assert …) need no connection. */
  runsOn?: 'target' | 'controller';
  /** `command: ls -l` — the argument key a bare string value fills. */
  freeForm?: string;
  /** Argument keys whose values are secrets. */
  secretArgs?: string[];
  /**
   * Argument keys holding `when`-style expressions or variable paths rather
   * than templates (assert's `that`, debug's `var`): the engine reads their
   * variable references too (check mode: a task reading an unknown register is unknown).
   */
  expressionArgs?: string[];
  /** Of the expressionArgs, those that may name an undefined variable (debug's `var` shows "VARIABLE IS NOT DEFINED!"). */
  undefinedAllowedArgs?: string[];
  /**
   * Arguments naming controller-side files (copy/template `src`, include_vars
   * `file`). `drover check` looks each up by the run's rule (role, playbook;
   * see playbook/local-files.ts) and reads what it needs of it.
   */
  localFiles?: LocalFileArg[];
  /**
   * Variables the task defines for the tasks after it (besides `register`):
   * set_fact's argument names, include_vars' file. `files.varsIn(arg)` reads
   * the vars file an argument names (as the run would), for its names.
   * 'unknown' when they can be known only at run time.
   */
  definesVars?(args: Record<string, unknown>, files: { varsIn(arg: string): Record<string, unknown> }): string[] | 'unknown';
  /**
   * What of a result the console shows at every verbosity, as Ansible's default
   * callback shows debug's (`ok: [h] => {"msg": …}`); other modules' results show at -v.
   */
  display?(result: ModuleResult): Record<string, unknown>;
  /** The task gathers the host's facts (setup): `ansible_*` names are defined after it. */
  gathersFacts?: boolean;
  /**
   * The paths its plan reads first (its first `files` query), from the args
   * alone, so that the task before it can read them in the same round trip
   * (engine/read-ahead.ts). Undefined: cannot tell (the module reads ahead of
   * nothing). Only a guess: a reading is used only when the plan asks for
   * exactly these queries.
   */
  readAhead?(args: A, diff: boolean): FileQuery[] | undefined;
  /** Reads the host's state; never writes. */
  plan(ctx: TaskContext, args: A): Promise<Plan<D>>;
  /** Executes exactly the plan. Called only when the plan has changes or is unknown, and never in check mode. */
  apply(ctx: TaskContext, args: A, plan: Plan<D>): Promise<ModuleResult>;
}
