/**
 * An undefined value that remembers where it came from: a missing name or
 * member yields one, so `a.b.c is defined` is false when `a` itself is
 * missing (like Ansible), and using it for anything else names the path.
 */
export class Undef {
  constructor(
    readonly path: string,
    /** Offset in the expression text where the path starts. */
    readonly offset: number,
  ) {}
}
