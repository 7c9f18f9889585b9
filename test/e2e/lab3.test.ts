import { describeLabTest } from './lab-helpers.js';

/**
 * Lab3 (Lab2 + Glance + Placement) on fresh local nodes: `drover lab test
 * lab3` (converge, second converge changed=0, check mode 0, verify: cirros
 * active in the image list, Placement GET /resource_classes at 1.31 = 200).
 */
const LAB = 'lab3';
// Its own drover home, subnet (10.96.0.0/24) and bridge: never anyone else's lab3.
describeLabTest(LAB, '10.96.0.0/24');
