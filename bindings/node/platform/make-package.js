#!/usr/bin/env node
// Writes package.json and README.md of the platform package
// dbsafe-linux-x64-gnu into a staged directory that already holds dbsafe.node
// and lib/ (scripts/build-portable does this). npm installs the package only
// where its os/cpu/libc fields match, so a Vercel build image (linux, x64,
// glibc) gets the prebuilt addon and every other machine skips it.
//
//   node make-package.js <stage dir> <version>
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function main(argv) {
  const [stage, version] = argv;
  if (!stage || !version) {
    throw new Error('usage: node make-package.js <stage dir> <version>');
  }
  for (const required of ['dbsafe.node', 'lib']) {
    if (!fs.existsSync(path.join(stage, required))) {
      throw new Error(`${path.join(stage, required)} does not exist; run scripts/build-portable node`);
    }
  }
  const manifest = {
    name: 'dbsafe-linux-x64-gnu',
    version,
    description: 'The prebuilt native addon of dbsafe for Linux x64 with glibc (installed by the dbsafe package)',
    main: 'dbsafe.node',
    os: ['linux'],
    cpu: ['x64'],
    libc: ['glibc'],
    files: ['dbsafe.node', 'lib/', 'README.md'],
    engines: { node: '>=20' },
  };
  const libs = fs.readdirSync(path.join(stage, 'lib')).filter((name) => !name.startsWith('.')).sort();
  const readme = [
    '# dbsafe-linux-x64-gnu',
    '',
    'The prebuilt native addon of [dbsafe](https://www.npmjs.com/package/dbsafe) for Linux on x64',
    'with glibc 2.34 or newer. Do not install it directly: `npm install dbsafe` selects it through',
    '`optionalDependencies` and its `os`/`cpu`/`libc` fields, and other platforms build the addon',
    'from source instead.',
    '',
    '`dbsafe.node` links libpq, OpenSSL, zlib, simdjson, libpg_query and the C++ runtime statically.',
    'The shared libraries that have no static form (the Kerberos/GSSAPI and LDAP libraries libpq',
    'calls, and what they need) are in `lib/`, found through the addon\'s `$ORIGIN/lib` run path:',
    '',
    ...libs.map((name) => `- ${name}`),
    '',
    'They come from Debian 12 and keep their own licences.',
    '',
  ].join('\n');
  writeAtomically(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeAtomically(path.join(stage, 'README.md'), readme);
}

function writeAtomically(file, text) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`make-package.js: error: ${error.message}\n`);
    process.exit(1);
  }
}
