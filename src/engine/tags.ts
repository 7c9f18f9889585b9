/**
 * Ansible's tag selection: --tags T runs tasks tagged T (or `always`);
 * --skip-tags wins; `never` tasks run only when asked for by name;
 * the special selectors `all`, `tagged`, `untagged` work as in Ansible.
 */
export function tagsSelected(taskTags: string[], only: string[] | undefined, skip: string[] | undefined): boolean {
  const tags = new Set(taskTags);
  if (skip?.length) {
    if (skip.some((s) => tags.has(s) || (s === 'tagged' && tags.size > 0) || (s === 'untagged' && tags.size === 0))) {
      return false;
    }
  }
  if (tags.has('never') && !(only ?? []).some((t) => tags.has(t) && t !== 'never')) return false;
  if (!only?.length || only.includes('all')) return true;
  if (tags.has('always')) return true;
  return only.some((t) => tags.has(t) || (t === 'tagged' && tags.size > 0) || (t === 'untagged' && tags.size === 0));
}
