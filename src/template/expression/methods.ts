/**
 * Python methods on strings, dicts and lists (`s.startswith('a')`,
 * `d.get('k', 1)`): a fixed list per type, never a property lookup on a
 * JavaScript object.
 */
import * as F from '../functions.js';
import { equals, hasOwnVar, isMapping, show, typeName } from '../values.js';

/**
 * No such method, or a method refused its argument; the evaluator adds the
 * position. A subclass, so that a ValueError from a shared value function
 * (split, replace, join) passes through unpositioned, exactly as before the
 * split into modules.
 */
export class MethodError extends F.ValueError {}

export function callMethod(object: unknown, method: string, args: unknown[]): unknown {
  const str = (x: unknown) => F.pyStr(x);
  if (typeof object === 'string') {
    switch (method) {
      case 'startswith':
        return Array.isArray(args[0]) ? args[0].some((p) => object.startsWith(str(p))) : object.startsWith(str(args[0]));
      case 'endswith':
        return Array.isArray(args[0]) ? args[0].some((p) => object.endsWith(str(p))) : object.endsWith(str(args[0]));
      case 'strip':
        return args.length ? stripChars(object, str(args[0]), true, true) : object.trim();
      case 'lstrip':
        return args.length ? stripChars(object, str(args[0]), true, false) : object.trimStart();
      case 'rstrip':
        return args.length ? stripChars(object, str(args[0]), false, true) : object.trimEnd();
      case 'lower':
        return object.toLowerCase();
      case 'upper':
        return object.toUpperCase();
      case 'split':
        return F.split(object, args[0]);
      case 'splitlines':
        return object.split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== '');
      case 'replace':
        return F.replace(object, args[0], args[1]);
      case 'find':
        return object.indexOf(str(args[0]));
      case 'count':
        return str(args[0]) === '' ? object.length + 1 : object.split(str(args[0])).length - 1;
      case 'isdigit':
        return /^\d+$/.test(object);
      case 'join':
        return F.join(args[0], object);
    }
  } else if (isMapping(object)) {
    switch (method) {
      case 'get': {
        const key = String(args[0]);
        return hasOwnVar(object, key) ? object[key] : (args[1] ?? null);
      }
      case 'keys':
        return Object.keys(object);
      case 'values':
        return Object.values(object);
      case 'items':
        return Object.entries(object);
    }
  } else if (Array.isArray(object)) {
    switch (method) {
      case 'count':
        return object.filter((x) => equals(x, args[0])).length;
      case 'index': {
        const i = object.findIndex((x) => equals(x, args[0]));
        if (i < 0) throw new MethodError(`${show(args[0])} is not in the list`);
        return i;
      }
    }
  }
  throw new MethodError(`${typeName(object)} has no method '${method}'`);
}

/** Python's str.strip(chars): remove any of `chars` from the chosen ends. */
function stripChars(text: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = text.length;
  while (left && a < b && chars.includes(text[a]!)) a++;
  while (right && b > a && chars.includes(text[b - 1]!)) b--;
  return text.slice(a, b);
}
