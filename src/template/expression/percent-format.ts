/**
 * Python's printf-style string formatting (`'%s:%d' % (host, port)`), the
 * conversions Ansible templates use: s r d i f F e E g G x X o c and %%, with
 * flags, width and precision, and `%(name)s` from a mapping.
 */
import { ValueError, pyStr, toInt } from '../functions.js';
import { isMapping, pythonRepr, typeName } from '../values.js';

const SPEC = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([sridfFeEgGxXoc%])/g;

export function percentFormat(format: string, value: unknown): string {
  const positional = Array.isArray(value) ? value : [value];
  let next = 0;
  const take = (): unknown => {
    if (next >= positional.length) throw new ValueError('not enough arguments for format string');
    return positional[next++];
  };
  const out = format.replace(SPEC, (_m, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    let v: unknown;
    if (key !== undefined) {
      if (!isMapping(value)) throw new ValueError('format requires a mapping');
      if (!Object.hasOwn(value, key)) throw new ValueError(`no key '${key}'`);
      v = value[key];
    } else {
      if (width === '*') width = String(toInt(take()));
      if (precision === '*') precision = String(toInt(take()));
      v = take();
    }
    return pad(convert(conv, v, flags, precision), flags, width === undefined ? 0 : Number(width), /[diouxXeEfFgG]/.test(conv));
  });
  const byName = /%\(/.test(format);
  if (!byName && Array.isArray(value) && next < positional.length) throw new ValueError('not all arguments converted during string formatting');
  return out;
}

function number(conv: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ValueError(`%${conv} format: a number is required, not ${typeName(v)}`);
}

function convert(conv: string, v: unknown, flags: string, precision: string | undefined): string {
  const sign = (n: number, s: string) => (n >= 0 && !Object.is(n, -0) ? (flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s : s);
  const p = precision === undefined ? undefined : Number(precision);
  switch (conv) {
    case 's': {
      const s = pyStr(v);
      return p === undefined ? s : s.slice(0, p);
    }
    case 'r':
      return pythonRepr(v);
    case 'd':
    case 'i': {
      const n = Math.trunc(number(conv, v));
      return sign(n, String(n));
    }
    case 'f':
    case 'F': {
      const n = number(conv, v);
      return sign(n, n.toFixed(p ?? 6));
    }
    case 'e':
    case 'E': {
      const n = number(conv, v);
      const s = n.toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return sign(n, conv === 'E' ? s.toUpperCase() : s);
    }
    case 'g':
    case 'G': {
      const n = number(conv, v);
      const s = String(Number(n.toPrecision(p === 0 ? 1 : (p ?? 6))));
      return sign(n, conv === 'G' ? s.toUpperCase() : s);
    }
    case 'x':
    case 'X':
    case 'o': {
      const n = Math.trunc(number(conv, v));
      const body = Math.abs(n).toString(conv === 'o' ? 8 : 16);
      const prefix = flags.includes('#') ? (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') : '';
      const s = (n < 0 ? '-' : '') + prefix + (conv === 'X' ? body.toUpperCase() : body);
      return sign(n, s);
    }
    case 'c':
      return typeof v === 'number' ? String.fromCodePoint(v) : pyStr(v);
  }
  return '';
}

function pad(s: string, flags: string, width: number, numeric: boolean): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width);
  if (flags.includes('0') && numeric) {
    const m = /^([+\- ]?(?:0[xXo])?)(.*)$/.exec(s)!;
    return m[1] + m[2]!.padStart(width - m[1]!.length, '0');
  }
  return s.padStart(width);
}
