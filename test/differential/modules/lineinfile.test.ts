import { moduleSuite } from './runner.js';

moduleSuite('lineinfile.yaml');
