import { moduleSuite } from './runner.js';

moduleSuite('x509_crl.yaml');
