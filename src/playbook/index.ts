/**
 * The playbook layer's public API: load (positions kept, modules and roles
 * resolved), validate against an inventory, and the `-e` parser.
 */
export { loadPlaybook, countTasks, walkNodes } from './load-playbook.js';
export { loadIncludedTasks } from './include.js';
export { validatePlaybook, playHosts } from './validate.js';
export { parseExtraVars } from './extra-vars.js';
