#!/usr/bin/env node
// Builds the native addon on `npm install`: configures the dbsafe repository
// with CMake into bindings/node/build/cmake, builds the dbsafe_node target and
// copies dbsafe.node to bindings/node/build/Release/. Nothing is downloaded:
// the compiler, CMake, the Node headers and the C++ libraries come from the
// system (Debian packages), node-addon-api from the npm registry.
//
// Environment:
//   DBSAFE_NODE_ADDON        path of a prebuilt dbsafe.node: when it exists,
//                            nothing is built (index.js loads that file).
//   DBSAFE_NODE_INCLUDE_DIR  directory holding node_api.h (default: found
//                            next to the running node, then /usr/include/node).
//   DBSAFE_BUILD_JOBS        parallel build jobs (default 2).
//   DBSAFE_NODE_BUILD_FROM_SOURCE=1  build even when the prebuilt platform
//                            package dbsafe-linux-x64-gnu is installed.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const packageDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(packageDir, '..', '..');
const buildDir = path.join(packageDir, 'build', 'cmake');
const releaseDir = path.join(packageDir, 'build', 'Release');
const addonOut = path.join(releaseDir, 'dbsafe.node');

const APT_PACKAGES = [
  'cmake',
  'g++',
  'pkg-config',
  'libpq-dev',
  'libpg-query-dev',
  'libsimdjson-dev',
  'libtomlplusplus-dev',
  'libcli11-dev',
  'libboost-dev',
  'libssl-dev',
];

// What a failed configure says -> the Debian package that provides it.
const MISSING_HINTS = [
  [/PostgreSQL|libpq/i, 'libpq-dev'],
  [/pg_query|pg-query|libpg_query/i, 'libpg-query-dev'],
  [/simdjson/i, 'libsimdjson-dev'],
  [/tomlplusplus|toml\+\+/i, 'libtomlplusplus-dev'],
  [/CLI11/, 'libcli11-dev'],
  [/Boost/, 'libboost-dev'],
  [/OpenSSL/, 'libssl-dev'],
  [/PkgConfig|pkg-config/i, 'pkg-config'],
  [/CMAKE_CXX_COMPILER|No CMAKE_CXX_COMPILER|C\+\+ compiler/i, 'g++'],
];

class InstallError extends Error {}

const PLATFORM_PACKAGE = 'dbsafe-linux-x64-gnu';

// The directory of the installed platform package, or null.
function platformPackageDir() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  try {
    const file = require.resolve(`${PLATFORM_PACKAGE}/dbsafe.node`, { paths: [packageDir] });
    return path.dirname(file);
  } catch {
    return null;
  }
}

function log(message) {
  process.stderr.write(`dbsafe: ${message}\n`);
}

function hasCommand(command) {
  const result = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function findNodeIncludeDir() {
  const candidates = [
    process.env.DBSAFE_NODE_INCLUDE_DIR,
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h')));
  if (!found) {
    throw new InstallError(
      `the Node.js headers (node_api.h) were not found in ${candidates.join(', ')}.\n` +
        'Install them (the nodejs package ships /usr/include/node; with Debian\'s own ' +
        'nodejs: apt-get install libnode-dev) or set DBSAFE_NODE_INCLUDE_DIR to the ' +
        'directory holding node_api.h.',
    );
  }
  return found;
}

function findNodeAddonApiDir() {
  try {
    return path.dirname(require.resolve('node-addon-api/package.json', { paths: [packageDir] }));
  } catch {
    throw new InstallError(
      'node-addon-api is not installed; run `npm ci --ignore-scripts` in bindings/node ' +
        '(or `npm install`), then try again.',
    );
  }
}

// The Debian packages a failed configure points at. CMake stops at the first
// REQUIRED dependency it misses, so the text from the first "CMake Error" on
// is about that one.
function missingPackages(output) {
  const start = output.indexOf('CMake Error');
  const text = start >= 0 ? output.slice(start) : '';
  const packages = new Set();
  for (const [pattern, pkg] of MISSING_HINTS) {
    if (pattern.test(text)) packages.add(pkg);
  }
  return [...packages];
}

function run(command, args, options) {
  const result = spawnSync(command, args, { cwd: packageDir, ...options });
  if (result.error) {
    throw new InstallError(`could not run ${command}: ${result.error.message}`);
  }
  return result;
}

function main() {
  const prebuilt = process.env.DBSAFE_NODE_ADDON;
  if (prebuilt && fs.existsSync(prebuilt)) {
    log(`DBSAFE_NODE_ADDON=${prebuilt} exists; not building the addon.`);
    return;
  }

  // npm installed the prebuilt addon (linux-x64, glibc): index.js loads it,
  // and this machine may have no compiler or libpq at all (a Vercel build).
  const platform = platformPackageDir();
  if (platform && process.env.DBSAFE_NODE_BUILD_FROM_SOURCE !== '1') {
    log(`using the prebuilt addon of ${PLATFORM_PACKAGE} (${platform}); not building.`);
    return;
  }

  if (!fs.existsSync(path.join(repoRoot, 'CMakeLists.txt')) ||
      !fs.existsSync(path.join(repoRoot, 'include', 'dbsafe', 'dbsafe.h'))) {
    if (fs.existsSync(addonOut)) {
      log(`using the prebuilt ${addonOut}.`);
      return;
    }
    throw new InstallError(
      `${packageDir} is not inside a dbsafe source checkout (no ${path.join(repoRoot, 'CMakeLists.txt')}), ` +
        'so the addon cannot be built here. Install the package from a dbsafe checkout ' +
        '(npm install <checkout>/bindings/node) or set DBSAFE_NODE_ADDON to a built dbsafe.node.',
    );
  }

  if (!hasCommand('cmake')) {
    throw new InstallError(
      'cmake was not found on PATH. Building the native addon needs CMake, a C++20 compiler ' +
        `and the libraries dbsafe uses:\n  apt-get install ${APT_PACKAGES.join(' ')}`,
    );
  }

  const nodeIncludeDir = findNodeIncludeDir();
  const addonApiDir = findNodeAddonApiDir();
  const env = { ...process.env };
  const configureArgs = [
    '-S', repoRoot,
    '-B', buildDir,
    '-DCMAKE_BUILD_TYPE=Release',
    '-DDBSAFE_BUILD_NODE=ON',
    '-DDBSAFE_BUILD_PYTHON=OFF',
    '-DDBSAFE_BUILD_TESTS=OFF',
    '-DDBSAFE_BUILD_CLI=OFF',
    // A user's install must not fail on a new compiler's new warning; dbsafe's
    // own CI builds with -Werror.
    '-DDBSAFE_WERROR=OFF',
    `-DDBSAFE_NODE_INCLUDE_DIR=${nodeIncludeDir}`,
    `-DDBSAFE_NODE_ADDON_API_DIR=${addonApiDir}`,
  ];
  if (hasCommand('ccache')) {
    configureArgs.push('-DCMAKE_CXX_COMPILER_LAUNCHER=ccache');
    env.CCACHE_BASEDIR = repoRoot;
    env.CCACHE_NOHASHDIR = '1';
  }

  log(`configuring ${repoRoot} into ${buildDir}`);
  const configure = run('cmake', configureArgs, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  process.stderr.write(configure.stdout);
  process.stderr.write(configure.stderr);
  if (configure.status !== 0) {
    const missing = missingPackages(`${configure.stdout}\n${configure.stderr}`);
    const hint = missing.length > 0
      ? `It looks like these are missing: apt-get install ${missing.join(' ')}`
      : `dbsafe needs: apt-get install ${APT_PACKAGES.join(' ')}`;
    throw new InstallError(`configuring with CMake failed (exit ${configure.status}). ${hint}`);
  }

  const jobs = String(Number.parseInt(process.env.DBSAFE_BUILD_JOBS ?? '', 10) || 2);
  log(`building the dbsafe_node target (-j ${jobs})`);
  const build = run('cmake', ['--build', buildDir, '--target', 'dbsafe_node', '-j', jobs], {
    env,
    stdio: ['ignore', 2, 2],
  });
  if (build.status !== 0) {
    throw new InstallError(
      `building the addon failed (exit ${build.status}); the compiler output is above. ` +
        `Missing headers usually mean a missing package: apt-get install ${APT_PACKAGES.join(' ')}`,
    );
  }

  const built = path.join(buildDir, 'bindings', 'node', 'dbsafe.node');
  if (!fs.existsSync(built)) {
    throw new InstallError(`the build succeeded but ${built} does not exist`);
  }
  fs.mkdirSync(releaseDir, { recursive: true });
  // Copy then rename, so a process that has the old addon mapped keeps a
  // consistent file.
  const temporary = `${addonOut}.${process.pid}.tmp`;
  fs.copyFileSync(built, temporary);
  fs.renameSync(temporary, addonOut);
  log(`built ${addonOut}`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    if (error instanceof InstallError) {
      log(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

module.exports = { missingPackages, platformPackageDir, APT_PACKAGES };
