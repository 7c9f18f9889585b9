import type { Play, RoleScope, Vars } from '../playbook/types.js';

/**
 * Variable precedence, lowest first (the README's table says the same):
 *  1. role defaults            (roles/x/defaults/main.yaml)
 *  2. inventory vars           (all < parent group < child group < host, host_vars/ and group_vars/ included)
 *  3. gathered facts           (ansible_*, ansible_facts)
 *  4. play vars                (vars:)
 *  5. play vars_files          (vars_files:)
 *  6. role vars                (roles/x/vars/main.yaml)
 *  7. role params              (roles: [{role: x, k: v}])
 *  8. block vars, then task vars (outer to inner)
 *  9. host facts set at run time: include_vars, set_fact, register
 * 10. extra vars               (-e)
 * Magic variables (inventory_hostname, hostvars, groups, group_names,
 * playbook_dir, role_path, role_name, ansible_check_mode) cannot be overridden.
 */
export interface VarLayers {
  roleDefaults?: Vars;
  inventory: Vars;
  facts: Vars;
  playVars: Vars;
  varsFiles: Vars;
  roleVars?: Vars;
  roleParams?: Vars;
  scopeVars: Vars[];
  runtime: Vars;
  extra: Vars;
  magic: Vars;
}

export function mergeVars(l: VarLayers): Vars {
  return Object.assign(
    {},
    l.roleDefaults,
    l.inventory,
    l.facts,
    l.playVars,
    l.varsFiles,
    l.roleVars,
    l.roleParams,
    ...l.scopeVars,
    l.runtime,
    l.extra,
    l.magic,
  );
}

export function roleLayers(role: RoleScope | undefined): Pick<VarLayers, 'roleDefaults' | 'roleVars' | 'roleParams'> {
  if (!role) return {};
  return { roleDefaults: role.defaults, roleVars: role.vars, roleParams: role.params };
}

export function playMagic(play: Play, playbookDir: string): Vars {
  return { playbook_dir: playbookDir, play_name: play.name };
}
