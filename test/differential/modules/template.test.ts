import { moduleSuite } from './runner.js';

moduleSuite('template.yaml');
