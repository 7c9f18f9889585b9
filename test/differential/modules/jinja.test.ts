import { moduleSuite } from './runner.js';

moduleSuite('jinja.yaml');
