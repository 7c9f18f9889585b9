import { moduleSuite } from './runner.js';

moduleSuite('command.yaml');
