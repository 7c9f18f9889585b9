import { moduleSuite } from './runner.js';

moduleSuite('stat.yaml');
