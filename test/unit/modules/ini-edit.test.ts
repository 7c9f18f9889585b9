import { describe, expect, it } from 'vitest';
import { editIni, type IniOptions } from '../../../src/modules/common/ini-edit.js';
import { applyTwice } from '../../helpers/twice.js';

const set = (section: string | null, option: string, value: string, extra: Partial<IniOptions> = {}): IniOptions => ({ state: 'present', section, option, value, ...extra });

const twice = (text: string, o: IniOptions) => applyTwice(editIni, text, o);

// An excerpt shaped like Debian's keystone.conf: sections full of commented defaults.
const KEYSTONE = `[DEFAULT]

#
# From keystone
#

# Using this feature is *NOT* recommended. (string value)
#admin_token = <None>

[database]

#
# From oslo.db
#

# The SQLAlchemy connection string. (string value)
#connection = <None>

# Maximum number of retries. (integer value)
#max_retries = 10

[token]

# Entry point for the token provider. (string value)
#provider = fernet
`;

describe('ini_file editing', () => {
  it('keystone.conf [database] connection: set after the header, comments kept, idempotent', () => {
    const r = twice(KEYSTONE, set('database', 'connection', 'mysql+pymysql://keystone:pw@controller/keystone'));
    expect(r.changed).toBe(true);
    expect(r.text).toBe(
      KEYSTONE.replace('[database]\n', '[database]\nconnection = mysql+pymysql://keystone:pw@controller/keystone\n'),
    );
  });

  it('a commented line with the same value is uncommented in place', () => {
    const r = twice(KEYSTONE, set('token', 'provider', 'fernet'));
    expect(r.text).toContain('# Entry point for the token provider. (string value)\nprovider = fernet\n');
    expect(r.text).not.toContain('#provider = fernet');
  });

  it('changes an existing value in place', () => {
    const text = '[DEFAULT]\ndebug = false\nverbose = true\n';
    expect(twice(text, set('DEFAULT', 'debug', 'true')).text).toBe('[DEFAULT]\ndebug = true\nverbose = true\n');
  });

  it('normalises spacing of an existing line (option=value -> option = value)', () => {
    expect(editIni('[a]\nk=v\n', set('a', 'k', 'v'))).toMatchObject({ changed: true, text: '[a]\nk = v\n' });
    expect(editIni('[a]\nk=v\n', set('a', 'k', 'v', { no_extra_spaces: true })).changed).toBe(false);
  });

  it('duplicate options: one kept, the others removed', () => {
    const r = twice('[DEFAULT]\ndebug = false\nx = 1\ndebug = true\n', set('DEFAULT', 'debug', 'true'));
    expect(r.text).toBe('[DEFAULT]\nx = 1\ndebug = true\n');
  });

  it('does not confuse option prefixes (connection vs connection_recycle_time)', () => {
    const r = twice('[database]\nconnection_recycle_time = 3600\n', set('database', 'connection', 'sqlite://'));
    expect(r.text).toBe('[database]\nconnection_recycle_time = 3600\nconnection = sqlite://\n');
  });

  it('adds after the last real line of the section, before trailing blanks/comments', () => {
    const r = twice('[a]\nx = 1\n\n# about b\n[b]\ny = 2\n', set('a', 'z', '3'));
    expect(r.text).toBe('[a]\nx = 1\nz = 3\n\n# about b\n[b]\ny = 2\n');
  });

  it('missing section is appended (blank line before it)', () => {
    const r = twice('[a]\nx = 1\n', set('keystone_authtoken', 'auth_type', 'password'));
    expect(r.text).toBe('[a]\nx = 1\n\n[keystone_authtoken]\nauth_type = password\n');
    expect(r.msg).toBe('section and option added');
  });

  it('new (empty) file', () => {
    expect(twice('', set('DEFAULT', 'transport_url', 'rabbit://openstack:pw@controller')).text).toBe(
      '[DEFAULT]\ntransport_url = rabbit://openstack:pw@controller\n',
    );
  });

  it('file without trailing newline', () => {
    expect(twice('[a]\nx = 1', set('a', 'y', '2')).text).toBe('[a]\nx = 1\ny = 2\n');
  });

  it('options before any section (section null)', () => {
    expect(twice('top = 1\n[a]\nx = 1\n', set(null, 'top', '2')).text).toBe('top = 2\n[a]\nx = 1\n');
  });

  it('only the first of duplicated sections is edited', () => {
    expect(twice('[a]\nx = 1\n[b]\n[a]\nx = 9\n', set('a', 'x', '2')).text).toBe('[a]\nx = 2\n[b]\n[a]\nx = 9\n');
  });

  it('allow_no_value: bare option', () => {
    const r = twice('[mysqld]\nport = 3306\n', { state: 'present', section: 'mysqld', option: 'skip-name-resolve', allow_no_value: true });
    expect(r.text).toBe('[mysqld]\nport = 3306\nskip-name-resolve\n');
  });

  it('absent removes all occurrences of the option, keeps commented ones', () => {
    const r = twice('[a]\n#k = 0\nk = 1\nj = 2\nk = 3\n', { state: 'absent', section: 'a', option: 'k' });
    expect(r.text).toBe('[a]\n#k = 0\nj = 2\n');
  });

  it('absent with value and exclusive=false removes only that value', () => {
    const r = twice('[a]\nk = 1\nk = 2\n', { state: 'absent', section: 'a', option: 'k', value: '1', exclusive: false });
    expect(r.text).toBe('[a]\nk = 2\n');
  });

  it('absent without option removes the section', () => {
    const r = twice('[a]\nx = 1\n[b]\ny = 2\n[c]\n', { state: 'absent', section: 'b' });
    expect(r.text).toBe('[a]\nx = 1\n[c]\n');
  });

  it('absent on a missing section: nothing', () => {
    expect(editIni('[a]\n', { state: 'absent', section: 'zz', option: 'k' })).toMatchObject({ changed: false, text: '[a]\n' });
  });

  it('section header with spaces inside the brackets', () => {
    expect(twice('[ a ]\nx = 1\n', set('a', 'x', '2')).text).toBe('[ a ]\nx = 2\n');
  });
});
