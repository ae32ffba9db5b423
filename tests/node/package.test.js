'use strict';
// The package itself: manifest, lockfile, C ABI coverage, typings, install script.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { childEnv, packageDir, repoRoot } = require('./helpers');

const read = (...parts) => fs.readFileSync(path.join(...parts), 'utf8');

describe('package', () => {
  const pkg = JSON.parse(read(packageDir, 'package.json'));
  const lock = JSON.parse(read(packageDir, 'package-lock.json'));

  it('has the manifest the project promises', () => {
    assert.equal(pkg.name, 'dbsafe');
    assert.equal(pkg.version, dbsafe.version);
    assert.equal(pkg.main, 'index.js');
    assert.equal(pkg.types, 'index.d.ts');
    assert.deepEqual(pkg.bin, { dbsafe: 'bin/dbsafe.js' });
    assert.equal(pkg.engines.node, '>=20');
    assert.equal(pkg.scripts.install, 'node scripts/install.js');
    assert.match(pkg.dependencies['node-addon-api'], /^8\.\d+\.\d+$/, 'pinned exactly');
    for (const file of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'bin/dbsafe.js']) {
      assert.ok(fs.existsSync(path.join(packageDir, file)), file);
    }
  });

  it('has a lockfile that matches the manifest', () => {
    assert.equal(lock.name, pkg.name);
    assert.equal(lock.version, pkg.version);
    assert.deepEqual(lock.packages[''].dependencies, pkg.dependencies);
    const addonApi = lock.packages['node_modules/node-addon-api'];
    assert.equal(addonApi.version, pkg.dependencies['node-addon-api']);
    assert.match(addonApi.integrity, /^sha512-/);
  });

  it('binds every function of the C ABI, or says why not (scripts/check-bindings)', () => {
    // The table of deliberate skips and the check itself are shared with
    // Python: scripts/check-bindings.
    const result = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'scripts', 'check-bindings')], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const nodeRows = result.stdout.split('\n').filter((line) => /^dbsafe_\w+\s+node\s/.test(line));
    assert.ok(nodeRows.length > 10, `only ${nodeRows.length} rows for node:\n${result.stdout}`);
    assert.ok(
      nodeRows.some((line) => /^dbsafe_migrations_open\s+node\s+bound$/.test(line)),
      'dbsafe_migrations_open is bound in Node',
    );
  });

  it('the addon includes the C ABI only', () => {
    const source = read(packageDir, 'src', 'addon.cpp');
    const dbsafeIncludes = [...source.matchAll(/#include\s+[<"](dbsafe\/[^>"]+)[>"]/g)].map((m) => m[1]);
    assert.deepEqual(dbsafeIncludes, ['dbsafe/dbsafe.h']);
  });

  it('types every export', () => {
    const typings = read(packageDir, 'index.d.ts');
    for (const name of Object.keys(dbsafe)) {
      assert.match(typings, new RegExp(`export declare (const|function|class) ${name}\\b`), name);
    }
  });

  it('the install script builds nothing when DBSAFE_NODE_ADDON exists', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-install-'));
    try {
      const prebuilt = path.join(dir, 'dbsafe.node');
      fs.writeFileSync(prebuilt, '');
      const result = spawnSync(process.execPath, [path.join(packageDir, 'scripts', 'install.js')], {
        cwd: packageDir,
        env: { ...childEnv(), DBSAFE_NODE_ADDON: prebuilt },
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /not building/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('install script', () => {
  const { missingPackages } = require('../../bindings/node/scripts/install.js');

  it('names the Debian package behind a failed configure', () => {
    const cases = [
      ['CMake Error at /usr/share/cmake-3.25/Modules/FindPackageHandleStandardArgs.cmake:230 (message):\n  Could NOT find PostgreSQL (missing: PostgreSQL_LIBRARY PostgreSQL_INCLUDE_DIR)', 'libpq-dev'],
      ['CMake Error at CMakeLists.txt:27 (find_package):\n  By not providing "Findsimdjson.cmake" in CMAKE_MODULE_PATH this project has\n  asked CMake to find a package configuration file provided by "simdjson", but\n  CMake did not find one.', 'libsimdjson-dev'],
      ['CMake Error at CMakeLists.txt:28 (find_path):\n  Could not find TOMLPP_INCLUDE_DIR using the following files: toml++/toml.h', 'libtomlplusplus-dev'],
      ['CMake Error at CMakeLists.txt:30 (find_path):\n  Could not find PG_QUERY_INCLUDE_DIR using the following files: pg_query.h', 'libpg-query-dev'],
      ['CMake Error at CMakeLists.txt:29 (find_package):\n  Could not find a package configuration file provided by "CLI11"', 'libcli11-dev'],
      ['CMake Error at /usr/share/cmake-3.25/Modules/FindPackageHandleStandardArgs.cmake:230 (message):\n  Could NOT find Boost (missing: Boost_INCLUDE_DIR) (Required is at least version "1.74")', 'libboost-dev'],
      ['CMake Error at /usr/share/cmake-3.25/Modules/FindPackageHandleStandardArgs.cmake:230 (message):\n  Could NOT find OpenSSL, try to set the path to OpenSSL root folder', 'libssl-dev'],
    ];
    for (const [output, pkg] of cases) {
      assert.deepEqual(missingPackages(`-- The CXX compiler identification is GNU 12.2.0\n${output}\n-- Configuring incomplete, errors occurred!`), [pkg], output);
    }
    assert.deepEqual(missingPackages('-- Configuring done'), []);
  });
});
