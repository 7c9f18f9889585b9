import type { Connection, ConnectionSpec } from './connection.js';
import { LocalConnection } from './local.js';
import { SshConnection } from './ssh.js';

/** The Connection for a resolved spec (not yet opened: call open()). */
export function createConnection(spec: ConnectionSpec): Connection {
  return spec.kind === 'local' ? new LocalConnection(spec) : new SshConnection(spec);
}
