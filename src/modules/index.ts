// Every module registers itself on import; this list makes them all available.
// Keep it a plain list: one line per module file in src/modules/.
import './assert.js';
import './command.js';
import './copy.js';
import './debug.js';
import './fail.js';
import './file.js';
import './include_vars.js';
import './ini_file.js';
import './lineinfile.js';
import './openssh_keypair.js';
import './openssl_certificate.js';
import './openssl_csr.js';
import './openssl_privatekey.js';
import './pause.js';
import './ping.js';
import './set_fact.js';
import './setup.js';
import './shell.js';
import './stat.js';
import './template.js';
import './wait_for.js';
