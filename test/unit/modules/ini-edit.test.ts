import { describe, expect, it } from 'vitest';
import { editIni, type IniOptions } from '../../../src/modules/common/ini-edit.js';
import { iniFileModule } from '../../../src/modules/ini_file.js';
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
  it('keystone.conf [database] connection: the commented-out default is replaced in place, other comments kept, idempotent', () => {
    const r = twice(KEYSTONE, set('database', 'connection', 'mysql+pymysql://keystone:pw@controller/keystone'));
    expect(r.changed).toBe(true);
    expect(r.text).toBe(KEYSTONE.replace('#connection = <None>\n', 'connection = mysql+pymysql://keystone:pw@controller/keystone\n'));
  });

  it('exclusive: the first occurrence, commented or not, takes the value; the others (commented ones too) go', () => {
    expect(twice('[s]\n#k = old\nk = cur\n;k = x\n', set('s', 'k', 'new')).text).toBe('[s]\nk = new\n');
    expect(twice('[s]\n;k = old\n', set('s', 'k', 'new')).text).toBe('[s]\nk = new\n');
    // An indented comment is not an occurrence (Ansible's pattern allows no blank before '#'): kept, the option added after the header.
    expect(twice('[s]\n  #k = old\n', set('s', 'k', 'new')).text).toBe('[s]\nk = new\n  #k = old\n');
    // exclusive=false: a commented line holding the value is uncommented, the others stay.
    expect(twice('[s]\nk = 1\n#k = 2\n', set('s', 'k', '2', { exclusive: false })).text).toBe('[s]\nk = 1\nk = 2\n');
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

  it('missing section is appended right after the last line', () => {
    const r = twice('[a]\nx = 1\n', set('keystone_authtoken', 'auth_type', 'password'));
    expect(r.text).toBe('[a]\nx = 1\n[keystone_authtoken]\nauth_type = password\n');
    expect(r.msg).toBe('section and option added');
  });

  it('new (empty) file: an empty line first, as Ansible writes it', () => {
    expect(twice('', set('DEFAULT', 'transport_url', 'rabbit://openstack:pw@controller')).text).toBe(
      '\n[DEFAULT]\ntransport_url = rabbit://openstack:pw@controller\n',
    );
    expect(twice('', set(null, 'KEY', 'val')).text).toBe('KEY = val\n\n');
    expect(twice('', { state: 'absent', section: 's', option: 'k' })).toMatchObject({ changed: false, text: '' });
  });

  it('UTF-8 BOM: the first section is seen; an edit drops the BOM, no edit leaves the file alone', () => {
    expect(twice('\uFEFF[s]\nk = 1\n', set('s', 'k', '2')).text).toBe('[s]\nk = 2\n');
    expect(editIni('\uFEFF[s]\nk = 1\n', set('s', 'k', '1'))).toMatchObject({ changed: false, text: '\uFEFF[s]\nk = 1\n' });
  });

  it('CRLF (and CR) line ends: no edit leaves the file alone; an edit rewrites it whole with LF', () => {
    expect(editIni('[s]\r\nk = 1\r\n', set('s', 'k', '1'))).toMatchObject({ changed: false, text: '[s]\r\nk = 1\r\n' });
    expect(twice('[s]\r\nk = 1\r\nj = 2\r\n', set('s', 'k', '5')).text).toBe('[s]\nk = 5\nj = 2\n');
    expect(twice('[s]\rk = 1\r', set('s', 'k', '5')).text).toBe('[s]\nk = 5\n');
  });

  it('values: one line each; exclusive rewrites the occurrences in order and drops the rest', () => {
    expect(twice('[s]\nother = 1\n', { state: 'present', section: 's', option: 'pci', values: ['a', 'b'] }).text).toBe('[s]\nother = 1\npci = a\npci = b\n');
    expect(twice('[s]\npci = x\npci = a\npci = y\n', { state: 'present', section: 's', option: 'pci', values: ['a', 'b'] }).text).toBe('[s]\npci = b\npci = a\n');
    expect(twice('[s]\npci = x\n', { state: 'present', section: 's', option: 'pci', values: ['a', 'x'], exclusive: false }).text).toBe('[s]\npci = x\npci = a\n');
    expect(twice('[s]\n', { state: 'present', section: 's', option: 'pci', values: ['a', 'a'] }).text).toBe('[s]\npci = a\n');
    expect(twice('[s]\npci = a\npci = b\npci = c\n', { state: 'absent', section: 's', option: 'pci', values: ['a', 'c'], exclusive: false }).text).toBe('[s]\npci = b\n');
  });

  it('section only (allow_no_value): an empty section is added, an existing one left alone', () => {
    expect(twice('[a]\nx = 1\n', { state: 'present', section: 'b', allow_no_value: true })).toMatchObject({ text: '[a]\nx = 1\n[b]\n', msg: 'only section added' });
    expect(editIni('[a]\nx = 1\n', { state: 'present', section: 'a', allow_no_value: true }).changed).toBe(false);
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

describe('ini_file arguments as Ansible reads them', () => {
  const parse = (a: Record<string, unknown>) => iniFileModule.schema.safeParse({ path: '/x', section: 's', option: 'k', ...a });

  it('value: Python str() of what is not a string (booleans, lists, mappings, numbers)', () => {
    expect(parse({ value: true }).data?.value).toBe('True');
    expect(parse({ value: false }).data?.value).toBe('False');
    expect(parse({ value: ['a', 'b'] }).data?.value).toBe("['a', 'b']");
    expect(parse({ value: { k: 1 } }).data?.value).toBe("{'k': 1}");
    expect(parse({ value: 4 }).data?.value).toBe('4');
    expect(parse({ section: 2024, option: 1, value: 'x' }).data).toMatchObject({ section: '2024', option: '1' });
  });

  it('values: a list of strings; a string is split at commas', () => {
    expect(parse({ values: ['a', true] }).data?.values).toEqual(['a', 'True']);
    expect(parse({ values: 'a,b' }).data?.values).toEqual(['a', 'b']);
    expect(parse({ value: 'a', values: ['b'] }).error?.message).toMatch(/mutually exclusive/);
  });

  it("state=present needs value(s) unless allow_no_value, section-only tasks included", () => {
    expect(parse({}).error?.message).toMatch(/value\(s\)' must be defined/);
    expect(iniFileModule.schema.safeParse({ path: '/x', section: 's' }).success).toBe(false);
    expect(iniFileModule.schema.safeParse({ path: '/x', section: 's', allow_no_value: true }).success).toBe(true);
    expect(iniFileModule.schema.safeParse({ path: '/x', section: 's', state: 'absent' }).success).toBe(true);
  });
});
