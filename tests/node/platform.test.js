'use strict';
// The platform-package pattern (issue 9, the Vercel case): index.js loads the
// prebuilt addon of dbsafe-linux-x64-gnu when npm installed it and falls back
// to an addon built on the machine; scripts/install.js builds nothing when the
// platform package is there. Each case lays out node_modules in a temporary
// project the way npm does. The packed tarballs themselves are installed and
// run by scripts/test-portable.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it } = require('node:test');

const packageDir = path.resolve(__dirname, '..', '..', 'bindings', 'node');
const builtAddon = process.env.DBSAFE_NODE_ADDON
  ? path.resolve(process.env.DBSAFE_NODE_ADDON)
  : path.join(packageDir, 'build', 'Release', 'dbsafe.node');
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

// An environment without DBSAFE_NODE_ADDON, so index.js chooses by itself.
function childEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.DBSAFE_NODE_ADDON;
  delete env.DBSAFE_NODE_BUILD_FROM_SOURCE;
  return env;
}

// <tmp>/node_modules/dbsafe (index.js, scripts/install.js, package.json) and,
// when `platformAddon` is given, <tmp>/node_modules/dbsafe-linux-x64-gnu with
// that file as its dbsafe.node.
function project({ platformAddon, localAddon }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-platform-'));
  const main = path.join(root, 'node_modules', 'dbsafe');
  fs.mkdirSync(path.join(main, 'scripts'), { recursive: true });
  for (const file of ['index.js', 'package.json', path.join('scripts', 'install.js')]) {
    fs.copyFileSync(path.join(packageDir, file), path.join(main, file));
  }
  if (localAddon) {
    fs.mkdirSync(path.join(main, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(localAddon, path.join(main, 'build', 'Release', 'dbsafe.node'));
  }
  if (platformAddon !== undefined) {
    const platform = path.join(root, 'node_modules', 'dbsafe-linux-x64-gnu');
    fs.mkdirSync(platform, { recursive: true });
    fs.writeFileSync(path.join(platform, 'package.json'),
      JSON.stringify({ name: 'dbsafe-linux-x64-gnu', version: '0.0.0', main: 'dbsafe.node' }));
    if (typeof platformAddon === 'string') {
      fs.copyFileSync(platformAddon, path.join(platform, 'dbsafe.node'));
    } else {
      fs.writeFileSync(path.join(platform, 'dbsafe.node'), platformAddon);
    }
  }
  return root;
}

// Which dbsafe.node file the process loaded, or the error require('dbsafe') threw.
function loadIn(root) {
  const script = `
    try {
      require('dbsafe');
      const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
      process.stdout.write(JSON.stringify({ loaded }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ error: error.message }));
    }`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: root, env: childEnv(), encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

describe('platform package dbsafe-linux-x64-gnu', { skip: !onLinuxX64 && 'linux-x64 only' }, () => {
  it('index.js loads the platform package addon first', { skip: !fs.existsSync(builtAddon) && 'no built addon' }, () => {
    const root = project({ platformAddon: builtAddon });
    try {
      const { loaded, error } = loadIn(root);
      assert.equal(error, undefined);
      assert.deepEqual(loaded, [fs.realpathSync(path.join(root, 'node_modules', 'dbsafe-linux-x64-gnu', 'dbsafe.node'))]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('falls back to the locally built addon when the prebuilt one does not load', { skip: !fs.existsSync(builtAddon) && 'no built addon' }, () => {
    const root = project({ platformAddon: Buffer.from('not an ELF file'), localAddon: builtAddon });
    try {
      const { loaded, error } = loadIn(root);
      assert.equal(error, undefined);
      assert.deepEqual(loaded, [fs.realpathSync(path.join(root, 'node_modules', 'dbsafe', 'build', 'Release', 'dbsafe.node'))]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the prebuilt addon and the way out when it does not load and nothing was built', () => {
    const root = project({ platformAddon: Buffer.from('not an ELF file') });
    try {
      const { error } = loadIn(root);
      assert.match(error, /dbsafe-linux-x64-gnu\/dbsafe\.node \(dbsafe-linux-x64-gnu\) failed/);
      assert.match(error, /glibc 2\.34/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('says neither addon is there when the platform package is missing and nothing was built', () => {
    const root = project({});
    try {
      const { error } = loadIn(root);
      assert.match(error, /has not been built and the prebuilt dbsafe-linux-x64-gnu package is not installed/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('the install script builds nothing when the platform package is installed', () => {
    const root = project({ platformAddon: Buffer.from('') });
    try {
      const script = path.join(root, 'node_modules', 'dbsafe', 'scripts', 'install.js');
      const result = spawnSync(process.execPath, [script], { cwd: root, env: childEnv(), encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /using the prebuilt addon of dbsafe-linux-x64-gnu .*not building/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
