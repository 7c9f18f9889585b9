/**
 * Ansible's to_yaml / to_nice_yaml text: yaml.dump with Ansible's dumper, which
 * is PyYAML's CSafeDumper — PyYAML's representer and serializer in Python, and
 * libyaml's emitter in C (0.2.5 in Debian 12 and in PyYAML's wheels). Their
 * choices are their own and no JavaScript YAML library repeats them: YAML 1.1
 * quoting ('yes', '1_000', '0o7' plain), sequences at their key's column,
 * `-   ` items under indent 4, folding at 80 columns, tabs and emoji
 * double-quoted, `? ` for keys over 128 bytes, &id001 anchors for a
 * collection met twice. The emitter below follows libyaml's src/emitter.c
 * state for state; names match. (PyYAML without libyaml writes `...` after a
 * plain root scalar and quotes differently: Ansible picks libyaml when present.)
 */
import { isMapping, pythonFloatRepr } from './values.js';

export interface PyYamlDumpOptions {
  /** yaml.dump's indent (2 unless 1 < indent < 10). */
  indent?: number;
  /** Line width (80 unless greater than 2 × indent). */
  width?: number;
  /** true: block style; false: flow style; null: flow only for collections of scalars (yaml.dump's default). */
  defaultFlowStyle?: boolean | null;
  sortKeys?: boolean;
  allowUnicode?: boolean;
  explicitStart?: boolean;
  explicitEnd?: boolean;
}

type Implicit = [plain: boolean, quoted: boolean];
type Ev =
  | { t: 'doc-start' }
  | { t: 'doc-end' }
  | { t: 'stream-end' }
  | { t: 'alias'; anchor: string }
  | { t: 'scalar'; anchor?: undefined; tag: string; value: string; implicit: Implicit }
  | { t: 'seq-start' | 'map-start'; anchor?: string; flow: boolean }
  | { t: 'seq-end' | 'map-end' };


/** YAML 1.1's implicit types, as PyYAML's Resolver reads a plain scalar. */
const IMPLICIT: Array<[string, RegExp]> = [
  ['bool', /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/],
  ['float', /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/],
  ['int', /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/],
  ['merge', /^(?:<<)$/],
  ['null', /^(?:~|null|Null|NULL|)$/],
  ['timestamp', /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/],
  ['value', /^(?:=)$/],
];

function resolvePlain(value: string): string {
  return IMPLICIT.find(([, re]) => re.test(value))?.[0] ?? 'str';
}

/** Representer + Serializer: the events yaml.dump emits for a value. */
function serialize(value: unknown, opts: PyYamlDumpOptions): Ev[] {
  const flowDefault = opts.defaultFlowStyle === undefined ? null : opts.defaultFlowStyle;
  const sortKeys = opts.sortKeys ?? true;
  const entriesOf = (v: object): Array<[string, unknown]> => {
    const entries = Object.entries(isMapping(v) ? v : { ...v });
    return sortKeys ? entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : entries;
  };
  // A collection met twice gets an anchor, numbered as the serializer's first
  // pass meets it the second time (so [a, b, b, a] anchors b as id001).
  const anchors = new Map<object, string>();
  const seen = new Set<object>();
  const anchorPass = (v: unknown) => {
    if (v === null || typeof v !== 'object') return;
    if (seen.has(v)) {
      if (!anchors.has(v)) anchors.set(v, `id${String(anchors.size + 1).padStart(3, '0')}`);
      return;
    }
    seen.add(v);
    for (const x of Array.isArray(v) ? v : entriesOf(v).map(([, x]) => x)) anchorPass(x);
  };
  anchorPass(value);
  const emitted = new Set<object>();
  const events: Ev[] = [{ t: 'doc-start' }];

  const scalar = (tag: string, text: string): Ev => ({ t: 'scalar', tag, value: text, implicit: [resolvePlain(text) === tag, tag === 'str'] });
  // yaml.dump's default_flow_style=None: flow style for a collection of scalars only.
  const isPlainScalarEvent = (e: Ev) => e.t === 'scalar';
  const node = (v: unknown): Ev[] => {
    if (v === null || v === undefined) return [scalar('null', 'null')];
    if (v === true || v === false) return [scalar('bool', String(v))];
    if (typeof v === 'number') {
      // A whole number beyond 2^53 is a float's value as far as JavaScript knows (1.5e300).
      if (Number.isSafeInteger(v)) return [scalar('int', String(v))];
      return [scalar('float', floatText(v))];
    }
    if (typeof v === 'string') return [scalar('str', v)];
    if (typeof v !== 'object') return [scalar('str', String(v))];
    if (emitted.has(v)) return [{ t: 'alias', anchor: anchors.get(v)! }];
    emitted.add(v);
    const anchor = anchors.get(v);
    if (Array.isArray(v)) {
      const items = v.map(node);
      const best = items.every((evs) => evs.length === 1 && isPlainScalarEvent(evs[0]!));
      return [{ t: 'seq-start', anchor, flow: flowDefault ?? best }, ...items.flat(), { t: 'seq-end' }];
    }
    const pairs = entriesOf(v).map(([k, x]) => [node(k), node(x)] as const);
    const best = pairs.every(([k, x]) => k.length === 1 && isPlainScalarEvent(k[0]!) && x.length === 1 && isPlainScalarEvent(x[0]!));
    return [{ t: 'map-start', anchor, flow: flowDefault ?? best }, ...pairs.flatMap(([k, x]) => [...k, ...x]), { t: 'map-end' }];
  };
  events.push(...node(value), { t: 'doc-end' }, { t: 'stream-end' });
  return events;
}

/** SafeRepresenter.represent_float. */
function floatText(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  const text = pythonFloatRepr(v).toLowerCase();
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

interface Analysis {
  scalar: string;
  /** UTF-8 bytes, as libyaml measures a simple key. */
  bytes: number;
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
}

type State = () => void;
type ScalarEv = Extract<Ev, { t: 'scalar' }>;

const isBreak = (ch: string | undefined) => ch !== undefined && '\r\n\x85\u2028\u2029'.includes(ch);
const isBlankz = (ch: string | undefined) => ch === undefined || ch === ' ' || ch === '\t' || ch === '\0' || isBreak(ch);
/** libyaml's IS_PRINTABLE: no tab, no NEL, nothing beyond U+FFFD. */
function isPrintable(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
}

class Emitter {
  private out = '';
  private states: State[] = [];
  private state: State = () => this.expectDocumentStart();
  private i = 0;
  private indents: number[] = [];
  private indent = -1;
  private flowLevel = 0;
  private mappingContext = false;
  private simpleKeyContext = false;
  private column = 0;
  private whitespace = true;
  private indention = true;
  private bestIndent: number;
  private bestWidth: number;
  private unicode: boolean;
  private analysis: Analysis | null = null;

  constructor(
    private events: Ev[],
    private opts: PyYamlDumpOptions,
  ) {
    this.bestIndent = opts.indent !== undefined && opts.indent >= 2 && opts.indent <= 9 ? opts.indent : 2;
    const width = opts.width ?? 0;
    this.bestWidth = width < 0 ? Number.MAX_SAFE_INTEGER : width <= this.bestIndent * 2 ? 80 : width;
    this.unicode = opts.allowUnicode ?? true;
  }

  run(): string {
    for (this.i = 0; this.i < this.events.length; this.i++) {
      const e = this.event;
      this.analysis = e.t === 'scalar' ? this.analyzeScalar(e.value) : null;
      this.state();
    }
    return this.out;
  }

  private get event(): Ev {
    return this.events[this.i]!;
  }
  private get next(): Ev | undefined {
    return this.events[this.i + 1];
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? this.bestIndent : 0;
    else if (!indentless) this.indent += this.bestIndent;
  }
  private popState(): void {
    this.state = this.states.pop()!;
  }
  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  private expectDocumentStart(): void {
    if (this.event.t === 'doc-start') {
      if (this.opts.explicitStart) {
        this.writeIndent();
        this.writeIndicator('---', true, false, false);
      }
      this.state = () => {
        this.states.push(() => this.expectDocumentEnd());
        this.expectNode(false, false);
      };
    } else {
      this.state = () => {
        throw new Error(`to_yaml: expected nothing, got ${this.event.t}`);
      };
    }
  }

  private expectDocumentEnd(): void {
    this.writeIndent();
    if (this.opts.explicitEnd) {
      this.writeIndicator('...', true, false, false);
      this.writeIndent();
    }
    this.state = () => this.expectDocumentStart();
  }

  private expectNode(mapping: boolean, simpleKey: boolean): void {
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    const e = this.event;
    if (e.t === 'alias') {
      this.writeIndicator('*', true, false, false);
      this.writeAnchor(e.anchor);
      if (this.simpleKeyContext) this.put(' ');
      this.popState();
      return;
    }
    if (e.t !== 'scalar' && e.t !== 'seq-start' && e.t !== 'map-start') throw new Error(`to_yaml: expected a node, got ${e.t}`);
    if (e.t === 'scalar') {
      const style = this.selectScalarStyle(e);
      this.increaseIndent(true, false);
      const a = this.analysis!;
      if (style === '"') this.writeDoubleQuoted(a.scalar, !this.simpleKeyContext);
      else if (style === "'") this.writeSingleQuoted(a.scalar, !this.simpleKeyContext);
      else this.writePlain(a.scalar, !this.simpleKeyContext);
      this.popIndent();
      this.popState();
      return;
    }
    if (e.anchor) {
      this.writeIndicator('&', true, false, false);
      this.writeAnchor(e.anchor);
    }
    const empty = this.next?.t === (e.t === 'seq-start' ? 'seq-end' : 'map-end');
    const flow = this.flowLevel > 0 || e.flow || empty;
    if (e.t === 'seq-start') this.state = flow ? () => this.flowSequenceItem(true) : () => this.blockSequenceItem(true);
    else this.state = flow ? () => this.flowMappingKey(true) : () => this.blockMappingKey(true);
  }

  /**
   * The part flow sequences and mappings share: the opening bracket on the
   * first call, the closing one at the end event (returns false then), and
   * before each further item the comma and a line break past the width.
   */
  private flowItem(first: boolean, open: string, close: string, end: Ev['t']): boolean {
    if (first) {
      this.writeIndicator(open, true, true, false);
      this.increaseIndent(true, false);
      this.flowLevel++;
    }
    if (this.event.t === end) {
      this.flowLevel--;
      this.popIndent();
      this.writeIndicator(close, false, false, false);
      this.popState();
      return false;
    }
    if (!first) this.writeIndicator(',', false, false, false);
    if (this.column > this.bestWidth) this.writeIndent();
    return true;
  }

  private flowSequenceItem(first: boolean): void {
    if (!this.flowItem(first, '[', ']', 'seq-end')) return;
    this.states.push(() => this.flowSequenceItem(false));
    this.expectNode(false, false);
  }

  private flowMappingKey(first: boolean): void {
    if (!this.flowItem(first, '{', '}', 'map-end')) return;
    if (this.checkSimpleKey()) {
      this.states.push(() => this.flowMappingValue(true));
      this.expectNode(true, true);
    } else {
      this.writeIndicator('?', true, false, false);
      this.states.push(() => this.flowMappingValue(false));
      this.expectNode(true, false);
    }
  }

  private flowMappingValue(simple: boolean): void {
    if (simple) this.writeIndicator(':', false, false, false);
    else {
      if (this.column > this.bestWidth) this.writeIndent();
      this.writeIndicator(':', true, false, false);
    }
    this.states.push(() => this.flowMappingKey(false));
    this.expectNode(true, false);
  }

  private blockSequenceItem(first: boolean): void {
    if (first) this.increaseIndent(false, this.mappingContext && !this.indention);
    if (this.event.t === 'seq-end') {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    this.writeIndicator('-', true, false, true);
    this.states.push(() => this.blockSequenceItem(false));
    this.expectNode(false, false);
  }

  private blockMappingKey(first: boolean): void {
    if (first) this.increaseIndent(false, false);
    if (this.event.t === 'map-end') {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    if (this.checkSimpleKey()) {
      this.states.push(() => this.blockMappingValue(true));
      this.expectNode(true, true);
    } else {
      this.writeIndicator('?', true, false, true);
      this.states.push(() => this.blockMappingValue(false));
      this.expectNode(true, false);
    }
  }

  private blockMappingValue(simple: boolean): void {
    if (simple) this.writeIndicator(':', false, false, false);
    else {
      this.writeIndent();
      this.writeIndicator(':', true, false, true);
    }
    this.states.push(() => this.blockMappingKey(false));
    this.expectNode(true, false);
  }

  private checkSimpleKey(): boolean {
    const e = this.event;
    let length = 0;
    if (e.t === 'alias') length += e.anchor.length;
    else if (e.t === 'scalar') {
      if (this.analysis!.multiline) return false;
      length += this.analysis!.bytes;
    } else if (e.t === 'seq-start' || e.t === 'map-start') {
      if (this.next?.t !== (e.t === 'seq-start' ? 'seq-end' : 'map-end')) return false;
      length += e.anchor?.length ?? 0;
    }
    return length <= 128;
  }

  /** yaml_emitter_select_scalar_style for a scalar with no explicit style; a tag is never needed for the values drover dumps. */
  private selectScalarStyle(e: ScalarEv): string {
    const a = this.analysis!;
    let style = '';
    if (this.simpleKeyContext && a.multiline) style = '"';
    if (style === '') {
      if ((this.flowLevel && !a.flowPlainAllowed) || (!this.flowLevel && !a.blockPlainAllowed)) style = "'";
      if (!a.bytes && (this.flowLevel || this.simpleKeyContext)) style = "'";
      if (!e.implicit[0]) style = "'";
    }
    if (style === "'" && !a.singleQuotedAllowed) style = '"';
    if (style !== '' && !e.implicit[1]) throw new Error(`to_yaml: a ${e.tag} that cannot be written plain`);
    return style;
  }

  private analyzeScalar(scalar: string): Analysis {
    const chars = [...scalar];
    const bytes = Buffer.byteLength(scalar);
    if (!chars.length) return { scalar, bytes, multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true };
    let blockIndicators = false;
    let flowIndicators = false;
    let lineBreaks = false;
    let specialCharacters = false;
    let leadingSpace = false;
    let leadingBreak = false;
    let trailingSpace = false;
    let trailingBreak = false;
    let breakSpace = false;
    let spaceBreak = false;
    let previousSpace = false;
    let previousBreak = false;
    if (scalar.startsWith('---') || scalar.startsWith('...')) blockIndicators = flowIndicators = true;
    let precededByWhitespace = true;
    let followedByWhitespace = isBlankz(chars[1]);
    chars.forEach((ch, index) => {
      if (index === 0) {
        if ('#,[]{}&*!|>\'"%@`'.includes(ch)) flowIndicators = blockIndicators = true;
        if (ch === '?' || ch === ':') {
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
        }
        if (ch === '-' && followedByWhitespace) flowIndicators = blockIndicators = true;
      } else {
        if (',?[]{}'.includes(ch)) flowIndicators = true;
        if (ch === ':') {
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
        }
        if (ch === '#' && precededByWhitespace) flowIndicators = blockIndicators = true;
      }
      if (!isPrintable(ch) || (!this.unicode && ch > '\x7f')) specialCharacters = true;
      if (isBreak(ch)) lineBreaks = true;
      if (ch === ' ') {
        if (index === 0) leadingSpace = true;
        if (index === chars.length - 1) trailingSpace = true;
        if (previousBreak) breakSpace = true;
        previousSpace = true;
        previousBreak = false;
      } else if (isBreak(ch)) {
        if (index === 0) leadingBreak = true;
        if (index === chars.length - 1) trailingBreak = true;
        if (previousSpace) spaceBreak = true;
        previousSpace = false;
        previousBreak = true;
      } else {
        previousSpace = previousBreak = false;
      }
      precededByWhitespace = isBlankz(ch);
      followedByWhitespace = isBlankz(chars[index + 2]);
    });
    let flowPlainAllowed = true;
    let blockPlainAllowed = true;
    let singleQuotedAllowed = true;
    if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) flowPlainAllowed = blockPlainAllowed = false;
    if (breakSpace) flowPlainAllowed = blockPlainAllowed = singleQuotedAllowed = false;
    if (spaceBreak || specialCharacters) flowPlainAllowed = blockPlainAllowed = singleQuotedAllowed = false;
    if (lineBreaks) flowPlainAllowed = blockPlainAllowed = false;
    if (flowIndicators) flowPlainAllowed = false;
    if (blockIndicators) blockPlainAllowed = false;
    return { scalar, bytes, multiline: lineBreaks, flowPlainAllowed, blockPlainAllowed, singleQuotedAllowed };
  }

  // Writers: put/write advance the column one per character, as PUT/WRITE do.

  private put(data: string): void {
    this.out += data;
    this.column += [...data].length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  /** WRITE_BREAK: a newline is the emitter's line break; another break character is copied. */
  private writeBreak(ch: string): void {
    this.out += ch;
    this.column = 0;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private writeAnchor(anchor: string): void {
    this.put(anchor);
    this.whitespace = false;
    this.indention = false;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writePlain(s: string, allowBreaks: boolean): void {
    const text = [...s];
    if (!this.whitespace && (text.length || this.flowLevel)) this.put(' ');
    let spaces = false;
    let breaks = false;
    text.forEach((ch, k) => {
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && text[k + 1] !== ' ') this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        spaces = breaks = false;
      }
    });
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(s: string, allowBreaks: boolean): void {
    const text = [...s];
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    text.forEach((ch, k) => {
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && k !== 0 && k !== text.length - 1 && text[k + 1] !== ' ') this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === "'") this.put("'");
        this.put(ch);
        this.indention = false;
        spaces = breaks = false;
      }
    });
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(s: string, allowBreaks: boolean): void {
    const text = [...s];
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    text.forEach((ch, k) => {
      const cp = ch.codePointAt(0)!;
      if (!isPrintable(ch) || (!this.unicode && cp > 0x7f) || cp === 0xfeff || isBreak(ch) || ch === '"' || ch === '\\') {
        const esc = ESCAPE_REPLACEMENTS[cp];
        this.put('\\' + (esc ?? (cp <= 0xff ? `x${hex(cp, 2)}` : cp <= 0xffff ? `u${hex(cp, 4)}` : `U${hex(cp, 8)}`)));
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && k !== 0 && k !== text.length - 1) {
          this.writeIndent();
          if (text[k + 1] === ' ') this.put('\\');
        } else this.put(ch);
        spaces = true;
      } else {
        this.put(ch);
        spaces = false;
      }
    });
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }
}

const ESCAPE_REPLACEMENTS: Record<number, string> = { 0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e', 0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P' };

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

/** yaml.dump(value, …) as Ansible's dumper writes it (with a trailing newline). */
export function pyYamlDump(value: unknown, opts: PyYamlDumpOptions = {}): string {
  return new Emitter(serialize(value, opts), opts).run();
}
