import path from 'node:path';
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, stringify, type Node as YNode, type YAMLError } from 'yaml';
import { InputError, InputErrors } from './errors.js';
import { limit, overLimit } from './limits.js';
import { decodeText, readUserTextFile } from './text-input.js';
import { displayPath, type SourcePos } from './source.js';
import { setPositions, slotOf, type Slot } from './source-positions.js';
import { construct, plainScalar, shortTag } from './yaml-scalar.js';
import { revealSecret, VaultError, vaultKeyring } from './vault.js';

/**
 * The one YAML reader (and writer): playbooks, roles, inventories, vars files,
 * include_vars, --extra-vars files and droplet specs all come through here, so
 * a file means the same in `drover check` and in the run. This is the only
 * module that imports the `yaml` library.
 *
 * Scalars mean what they mean to Ansible (see yaml-scalar.ts: PyYAML's YAML
 * 1.1). Mapping keys keep their source text (`y:` and `1:` are the strings
 * "y" and "1"). Positions of every value are recorded (source-positions.ts).
 * Errors are InputErrors at file:line:col.
 */

export interface YamlSource {
  /** Absolute path. */
  path: string;
  /** Path as shown in messages. */
  display: string;
  /** The document as plain JS (null for an empty file). */
  value: unknown;
  /** Position of the document's top node (or 1:1). */
  pos: SourcePos;
  /** The file was vault-encrypted as a whole (decrypted by readUserTextFile). */
  vaultEncrypted?: boolean;
}

/** Read and parse a YAML file. A missing file or a syntax error is an InputError at its position. */
export function loadYamlFile(file: string, from?: SourcePos): YamlSource {
  const abs = path.resolve(file);
  const { text, vaultEncrypted } = readUserTextFile(abs, displayPath(abs), 'file', from);
  const y = parseYaml(text, abs);
  return vaultEncrypted ? { ...y, vaultEncrypted } : y;
}

/** Parse YAML text; `file` names it in positions (`<stdin>`-style names are kept as they are). */
export function parseYaml(text: string, file: string): YamlSource {
  const abs = file.startsWith('<') ? file : path.resolve(file);
  const display = displayPath(abs);
  const lineCounter = new LineCounter();
  // The failsafe schema leaves every scalar as text: Ansible's rules are applied below, in one place.
  const doc = parseDocument(text, { lineCounter, schema: 'failsafe', version: '1.1', uniqueKeys: false, prettyErrors: true });
  const at = (offset: number): SourcePos => {
    const lp = lineCounter.linePos(offset);
    return { file: display, line: lp.line, col: lp.col };
  };
  if (doc.errors.length) throw syntaxErrors(doc.errors, display, at);
  const conv = new Converter(doc, at, display);
  let value: unknown;
  try {
    checkAliases(doc, (node) => conv.pos(node) ?? { file: display, line: 1, col: 1 });
    value = doc.contents ? conv.value(doc.contents as YNode) : null;
  } catch (e) {
    // Recursion follows the document's nesting; thousands of levels are not a document anyone means.
    if (e instanceof RangeError) throw new InputError('YAML nested too deeply', { file: display, line: 1, col: 1 });
    throw e;
  }
  const pos = doc.contents?.range ? at(doc.contents.range[0]) : { file: display, line: 1, col: 1 };
  return { path: abs, display, value, pos };
}

/** Every syntax error in the file, each at its place. */
function syntaxErrors(errors: YAMLError[], display: string, at: (offset: number) => SourcePos): InputError | InputErrors {
  const all = errors.map((e) => {
    const pos = e.linePos ? { file: display, line: e.linePos[0].line, col: e.linePos[0].col } : at(e.pos[0]);
    const detail = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return new InputError(`YAML syntax error: ${detail}`, pos, SYNTAX_HINTS[e.code]);
  });
  return all.length === 1 ? all[0]! : new InputErrors(all);
}

const SYNTAX_HINTS: Partial<Record<string, string>> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  DUPLICATE_KEY: 'each key may appear once in a mapping',
  MULTIPLE_DOCS: 'a file here holds one YAML document',
};

/** YAML text for a value: `flow` is `to_yaml`'s one-line style, otherwise block style (`to_nice_yaml`). */
export function toYamlText(value: unknown, opts: { flow?: boolean; indent?: number; indentSeq?: boolean } = {}): string {
  return stringify(value, opts.flow ? { collectionStyle: 'flow' } : { indent: opts.indent ?? 2, indentSeq: opts.indentSeq ?? true }).replace(/\n$/, '');
}

/**
 * Before converting: an alias inside the node it names would make a value
 * that contains itself (refused), and aliases of aliases can multiply a small
 * file into billions of values ("billion laughs"): the expanded size is
 * counted, without expanding, and bounded.
 */
function checkAliases(doc: Document, pos: (node: YNode) => SourcePos): void {
  const sizes = new Map<YNode, number>();
  const open = new Set<YNode>();
  const max = limit('yamlValues');
  const size = (node: unknown): number => {
    const n = node as YNode | null | undefined;
    if (!n || isScalar(n)) return 1;
    if (isAlias(n)) {
      const target = n.resolve(doc) as YNode | undefined;
      if (target && open.has(target)) throw new InputError(`alias *${n.source} is inside the value it names, which would contain itself`, pos(n));
      return target ? size(target) : 1;
    }
    const known = sizes.get(n);
    if (known !== undefined) return known;
    open.add(n);
    let total = 1;
    for (const item of (n as YNode & { items?: unknown[] }).items ?? []) total += isPair(item) ? size(item.key) + size(item.value) : size(item);
    open.delete(n);
    sizes.set(n, total);
    if (total > max) throw overLimit('yamlValues', `this value holds ${total} values once its aliases are expanded`, pos(n));
    return total;
  };
  size(doc.contents);
}

class Converter {
  private seen = new Map<YNode, unknown>();
  constructor(
    private doc: Document,
    private at: (offset: number) => SourcePos,
    private display: string,
  ) {}

  pos(node: YNode | null | undefined): SourcePos | undefined {
    if (!node?.range) return undefined;
    const p = this.at(node.range[0]);
    // A quoted scalar's text starts inside the quotes.
    if (isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)) return { ...p, col: p.col + 1 };
    return p;
  }

  value(node: YNode | null | undefined): unknown {
    if (!node) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      return target ? this.value(target as YNode) : null;
    }
    if (isScalar(node)) return this.scalar(node);
    const cached = this.seen.get(node);
    if (cached !== undefined) return cached;
    const where = this.pos(node) ?? { file: this.display, line: 1, col: 1 };
    if (node.tag && !COLLECTION_TAGS.has(node.tag)) {
      throw new InputError(`the tag ${shortTag(node.tag)} is not one Ansible's YAML loader reads`, where);
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      this.seen.set(node, out);
      const slots: Array<[number, Slot]> = [];
      node.items.forEach((item, i) => {
        out.push(this.value(item as YNode));
        slots.push([i, { valuePos: this.pos(item as YNode) ?? where }]);
      });
      setPositions(out, where, slots);
      return out;
    }
    if (isMap(node)) return this.mapping(node, where);
    return null;
  }

  /**
   * A mapping as PyYAML builds it: the entries of merge keys (`<<: *base`,
   * `<<: [*a, *b]`, earlier ones winning) come first, then the mapping's own
   * entries, which override merged ones in place. Key order follows.
   */
  private mapping(node: YNode & { items: unknown[] }, where: SourcePos): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.seen.set(node, out);
    const merged: Array<[string, unknown, Slot]> = [];
    const own: Array<[string, unknown, Slot]> = [];
    const explicit = new Map<string, SourcePos>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YNode | null;
      const valueNode = pair.value as YNode | null;
      const key = this.key(keyNode);
      const keyPos = this.pos(keyNode) ?? where;
      if (key === '<<' && isScalar(keyNode) && keyNode.type === Scalar.PLAIN && !keyNode.tag) {
        const src = this.value(valueNode);
        const maps = Array.isArray(src) ? [...src].reverse() : [src];
        for (const m of maps) {
          if (!m || typeof m !== 'object' || Array.isArray(m)) {
            throw new InputError('a merge key (<<) takes a mapping or a list of mappings', this.pos(valueNode) ?? keyPos);
          }
          for (const [k, v] of Object.entries(m)) merged.push([k, v, slotOf(m, k) ?? { keyPos, valuePos: keyPos }]);
        }
        continue;
      }
      const first = explicit.get(key);
      if (first) {
        // Checked here rather than by the parser, which points at the first entry's value.
        throw new InputError(`duplicate key '${key}' in a mapping (first at line ${first.line}, column ${first.col})`, keyPos, 'each key may appear once in a mapping');
      }
      explicit.set(key, keyPos);
      own.push([key, this.value(valueNode), { keyPos, valuePos: this.pos(valueNode) ?? keyPos }]);
    }
    const slots = new Map<string, Slot>();
    for (const [k, v, slot] of [...merged, ...own]) {
      out[k] = v;
      slots.set(k, slot);
    }
    setPositions(out, where, slots);
    return out;
  }

  private key(node: YNode | null): string {
    if (!node) return '';
    if (isScalar(node)) return node.value === null || node.value === undefined ? '' : String(node.value);
    return JSON.stringify(this.value(node));
  }

  private scalar(node: Scalar): unknown {
    const text = node.value === null || node.value === undefined ? '' : String(node.value);
    const where = this.pos(node);
    try {
      // Untagged plain scalars are resolved by Ansible's rules; so is anything tagged `!` (PyYAML's reading).
      if (node.tag === '!') return plainScalar(text);
      if (!node.tag) return node.type === Scalar.PLAIN ? plainScalar(text) : text;
      if (node.tag === '!unsafe') return unsafeText(text, where);
      if (node.tag === '!vault') return vaultValue(text, where ?? { file: this.display, line: 1, col: 1 });
      return construct(node.tag, text);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError((e as Error).message, where);
    }
  }
}

/**
 * A `!vault` value: decrypted with the process's vault passwords, and a
 * secret from then on (masked in all output). Without a password it is an
 * input error here, never its ciphertext used as text.
 */
function vaultValue(text: string, where: SourcePos): string {
  let bytes: Buffer;
  try {
    bytes = vaultKeyring().decrypt(text).plaintext;
  } catch (e) {
    if (!(e instanceof VaultError)) throw e;
    throw new InputError(e.kind === 'no-password' ? e.message : `cannot decrypt this !vault value: ${e.message}`, where);
  }
  let plain: string;
  try {
    plain = decodeText(bytes, where.file);
  } catch {
    throw new InputError('this !vault value does not decrypt to UTF-8 text', where);
  }
  revealSecret(plain);
  return plain;
}

const COLLECTION_TAGS = new Set(['tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq', '!']);

/**
 * `!unsafe` text is never templated in Ansible. drover's templates have no
 * such mark yet, so text that templating would change is refused rather than
 * silently evaluated; other text is just text.
 */
function unsafeText(text: string, where: SourcePos | undefined): string {
  if (/\{[{%#]/.test(text)) {
    throw new InputError('!unsafe text containing {{, {% or {# is not supported yet: drover would template it', where, 'escape it instead: {{ "{{" }}');
  }
  return text;
}

/** What a loaded value is, for messages: "a mapping", "a list", `string "x"`, "nothing". */
export function describeYamlValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** A plain mapping (not a list), as loaded. */
export function isYamlMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A vars file (group_vars, host_vars, vars_files, include_vars, defaults):
 * YAML or JSON holding a mapping of variable names, or nothing at all.
 */
export function loadVarsFile(file: string, from?: SourcePos): Record<string, unknown> {
  const y = loadYamlFile(file, from);
  if (y.value === null) return {};
  if (!isYamlMapping(y.value)) throw new InputError(`a vars file must hold a mapping of variable names, got ${describeYamlValue(y.value)}`, y.pos);
  if (y.vaultEncrypted) revealLeaves(y.value);
  return y.value;
}

/** Every value in a vault-encrypted vars file is a secret (strings and numbers, at any depth). */
export function revealLeaves(value: unknown): void {
  if (typeof value === 'string') revealSecret(value);
  else if (typeof value === 'number') revealSecret(String(value));
  else if (Array.isArray(value)) value.forEach(revealLeaves);
  else if (value && typeof value === 'object') Object.values(value).forEach(revealLeaves);
}
