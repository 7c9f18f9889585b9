/**
 * The playbook layer's public API: load (positions kept, modules and roles
 * resolved), validate against an inventory, and the `-e` parser.
 */
export { loadPlaybook, loadPlaybookCollecting, countTasks, walkNodes } from './load-playbook.js';
export { loadIncludedTasks } from './include.js';
export { validatePlaybook } from './validate.js';
export { playHosts } from './play-hosts.js';
export { parseExtraVars } from './extra-vars.js';
