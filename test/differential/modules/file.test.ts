import { moduleSuite } from './runner.js';

moduleSuite('file.yaml');
