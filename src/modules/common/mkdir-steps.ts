/**
 * The shell loop that creates each missing directory on the way to a path and
 * gives each one it created the attributes (Ansible's makedirs + adjusting
 * the directories it made). A directory another process made meanwhile (two
 * hosts of one machine, one parent) is fine, as EEXIST on a directory is to
 * Ansible; any other mkdir failure is reported by a second mkdir's message.
 * `steps` are shell-quoted paths; `attrs` are commands reading "$d".
 */
export function mkdirStepsCommand(steps: string[], attrs: string[]): string {
  return `for d in ${steps.join(' ')}; do [ -e "$d" ] || if mkdir -- "$d" 2>/dev/null; then ${attrs.length ? attrs.join(' && ') : ':'} || exit 1; elif [ ! -d "$d" ]; then mkdir -- "$d"; exit 1; fi; done`;
}
