'use strict';
// `npm install <repo>/bindings/node` (as README.md shows it) into an empty project builds the addon
// from source with the local Node headers (scripts/install.js, no download
// beyond the npm registry), and the installed package works: require(),
// the repository's Node example, and `npx dbsafe`. Slow on a cold cache, so
// it runs when DBSAFE_TEST_INSTALL=1 (scripts/test sets it).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { after, before, describe, it } = require('node:test');

const repoRoot = path.resolve(__dirname, '../..');
const enabled = process.env.DBSAFE_TEST_INSTALL === '1';

describe('npm install of bindings/node', { skip: !enabled && 'set DBSAFE_TEST_INSTALL=1' }, () => {
  let project;
  const env = { ...process.env };
  delete env.DBSAFE_NODE_ADDON; // the installed package must find its own build

  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-npm-install-'));
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
    );
    const npm = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', path.join(repoRoot, 'bindings/node')],
      { cwd: project, env, encoding: 'utf8', timeout: 15 * 60 * 1000 },
    );
    assert.equal(npm.status, 0, `npm install failed:\n${npm.stdout}\n${npm.stderr}`);
  });
  after(() => project && fs.rmSync(project, { recursive: true, force: true }));

  function node(args) {
    return spawnSync(process.execPath, args, { cwd: project, env, encoding: 'utf8' });
  }

  it('require() lists the sample project', () => {
    const dir = path.join(repoRoot, 'examples/prisma-app/prisma/migrations');
    const out = node(['-e', `console.log(require('dbsafe').migrationsSync(${JSON.stringify(dir)}).count)`]);
    assert.equal(out.stderr, '');
    assert.equal(out.stdout.trim(), '3');
  });

  it('runs examples/node/list-migrations.js', () => {
    fs.copyFileSync(
      path.join(repoRoot, 'examples/node/list-migrations.js'),
      path.join(project, 'list-migrations.js'),
    );
    const ok = node(['list-migrations.js', path.join(repoRoot, 'examples/prisma-app')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^3 prisma migrations in .*examples\/prisma-app\/prisma\/migrations\n/);
    const missing = node(['list-migrations.js', path.join(project, 'nope')]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /^DBSAFE_ENOTFOUND: /);
  });

  it('runs examples/node/check-migrations.js', () => {
    fs.copyFileSync(
      path.join(repoRoot, 'examples/node/check-migrations.js'),
      path.join(project, 'check-migrations.js'),
    );
    const dir = path.join(project, 'migrations');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '001_a.sql'), 'CREATE TABLE t (id bigint, a text);\n');
    fs.writeFileSync(path.join(dir, '002_b.sql'), 'ALTER TABLE t DROP COLUMN a;\n');
    const out = node(['check-migrations.js', dir]);
    assert.equal(out.status, 1, out.stderr);
    assert.match(out.stdout, /002_b\.sql:1: error \[drop-column\] drops column a of public\.t/);
  });

  it('npx dbsafe is the same CLI', () => {
    const out = spawnSync('npx', ['--no-install', 'dbsafe', 'list', '--format', 'json',
      path.join(repoRoot, 'tests/fixtures/prisma')], { cwd: project, env, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).count, 2);
  });
});
