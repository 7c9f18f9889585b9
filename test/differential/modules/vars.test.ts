import { moduleSuite } from './runner.js';

moduleSuite('vars.yaml');
