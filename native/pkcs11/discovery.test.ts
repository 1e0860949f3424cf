import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverModules, parseModuleFile } from './discovery.js';

function layout() {
  const root = mkdtempSync(join(tmpdir(), 'signet-discovery-'));
  const etc = join(root, 'etc');
  const share = join(root, 'share');
  const lib = join(root, 'lib');
  for (const dir of [etc, share, lib]) mkdirSync(dir);
  for (const name of ['a.so', 'b.so', 'c.so', 'trust.so']) writeFileSync(join(lib, name), '');
  symlinkSync(join(lib, 'a.so'), join(lib, 'a-link.so'));
  return { root, etc, share, lib };
}

describe('discoverModules', () => {
  it('reads p11-kit module files, resolves bare names, skips trust and disabled modules', () => {
    const { etc, share, lib } = layout();
    writeFileSync(join(share, 'a.module'), `# comment\nmodule: ${join(lib, 'a.so')}\n`);
    writeFileSync(join(share, 'b.module'), 'module: b.so\n');
    writeFileSync(join(share, 'trust.module'), 'module: trust.so\ntrust-policy: yes\n');
    writeFileSync(join(share, 'off.module'), 'module: c.so\ndisable-in: signet, firefox\n');
    writeFileSync(join(share, 'other.module'), 'module: c.so\nenable-in: seahorse\n');
    writeFileSync(join(share, 'notes.txt'), 'module: c.so\n');
    const found = discoverModules({
      p11kitConfigDirs: [etc, share],
      p11kitModuleDirs: [lib],
      wellKnown: [],
    });
    expect(found).toEqual([
      { path: join(lib, 'a.so'), name: 'a', source: 'p11-kit' },
      { path: join(lib, 'b.so'), name: 'b', source: 'p11-kit' },
    ]);
  });

  it('lets /etc override a module file of the same name, and lists one library once', () => {
    const { etc, share, lib } = layout();
    writeFileSync(join(etc, 'a.module'), 'module: c.so\n');
    writeFileSync(join(share, 'a.module'), 'module: a.so\n');
    const found = discoverModules({
      configured: [join(lib, 'a-link.so'), '/nowhere/missing.so'],
      p11kitConfigDirs: [etc, share],
      p11kitModuleDirs: [lib],
      wellKnown: [join(lib, 'a.so'), join(lib, 'c.so'), join(lib, 'absent.so')],
    });
    expect(found.map((m) => [m.path, m.source])).toEqual([
      [join(lib, 'a-link.so'), 'config'],
      ['/nowhere/missing.so', 'config'],
      [join(lib, 'c.so'), 'p11-kit'],
    ]);
  });

  it('parses key: value lines and ignores comments', () => {
    expect(
      parseModuleFile('# x: y\nmodule:  /lib/x.so \ncritical: yes\n  trust-policy:no\n'),
    ).toEqual({
      module: '/lib/x.so',
      critical: 'yes',
      'trust-policy': 'no',
    });
  });
});
