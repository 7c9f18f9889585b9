import { moduleSuite } from './runner.js';

moduleSuite('copy.yaml');
