import { moduleSuite } from './runner.js';

moduleSuite('ini_file.yaml');
