'use strict';
// The examples of bindings/node/README.md run as written, in a project that
// depends on the package.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { after, before, describe, it } = require('node:test');

const { childEnv, fixturesRoot, packageDir } = require('./helpers');
const { psql, withDatabase } = require('./support/postgres');

function examples() {
  const readme = fs.readFileSync(path.join(packageDir, 'README.md'), 'utf8');
  const found = new Map();
  for (const match of readme.matchAll(/<!-- example: (\w+) -->\n```js\n([\s\S]*?)```/g)) {
    found.set(match[1], match[2]);
  }
  return found;
}

describe('README examples', () => {
  const code = examples();
  let project;

  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-readme-'));
    fs.cpSync(path.join(fixturesRoot, 'prisma'), path.join(project, 'prisma', 'migrations'), {
      recursive: true,
    });
    fs.mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true });
    fs.symlinkSync(packageDir, path.join(project, 'node_modules', 'dbsafe'), 'dir');
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  function run(name, extension, env = {}) {
    assert.ok(code.has(name), `README has no example "${name}"`);
    const file = path.join(project, `${name}${extension}`);
    fs.writeFileSync(file, code.get(name));
    const result = spawnSync(process.execPath, [file], {
      cwd: project,
      env: { ...childEnv(), ...env },
      encoding: 'utf8',
    });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
    return result.stdout;
  }

  it('has the examples this test knows', () => {
    assert.deepEqual([...code.keys()].sort(), ['cancel', 'check', 'errors', 'esm', 'list', 'stats']);
  });

  it('list', () => {
    const lines = run('list', '.cjs').trim().split('\n');
    assert.equal(lines[0], '2 prisma migrations in prisma/migrations');
    assert.match(lines[1], /^20240101000000_init \d+ [0-9a-f]{64}$/);
  });

  it('cancel', () => {
    const lines = run('cancel', '.cjs').trim().split('\n');
    assert.equal(lines[0], 'read 1/2: 20240101000000_init');
    assert.equal(lines.at(-1), 'DBSAFE_ECANCELLED');
  });

  it('check', () => {
    const dbsafe = require('../../bindings/node');
    // What the example prints, computed here: the findings of the fixture's
    // migrations, with the paths as the example gives them (relative).
    const report = dbsafe.checkSync(path.join(project, 'prisma', 'migrations'), {
      pgVersion: 15,
      rules: { 'drop-column': 'warning' },
    });
    const expected = report.findings.map(
      (f) =>
        `${path.relative(project, f.file)}:${f.line}:${f.column} ${f.level} ${f.rule}: ${f.message}`,
    );
    const { errors, warnings, infos } = report.summary;
    expected.push(`${errors} errors, ${warnings} warnings, ${infos} info`);
    assert.equal(report.summary.failed, false);
    assert.equal(run('check', '.cjs'), `${expected.join('\n')}\n`);
  });

  it('stats', () =>
    withDatabase(async (url) => {
      await psql(
        url,
        'CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users VALUES (1), (2), (3);' +
          'CREATE TABLE audit (id int); ANALYZE;',
      );
      assert.equal(
        run('stats', '.cjs', { DATABASE_URL: url }),
        'public.audit: ~0 rows (empty)\npublic.users: ~3 rows\n',
      );
    }));

  it('errors', () => {
    assert.equal(run('errors', '.cjs'), 'true DBSAFE_ENOTFOUND no/such/dir\n');
  });

  it('esm', () => {
    assert.equal(run('esm', '.mjs'), '2\n');
  });

  it('npx dbsafe list --format json', () => {
    const dbsafe = require('../../bindings/node');
    const result = spawnSync(
      process.execPath,
      [path.join(project, 'node_modules', 'dbsafe', 'bin', 'dbsafe.js'), 'list', '--format', 'json', 'prisma/migrations'],
      { cwd: project, env: childEnv(), encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    const expected = dbsafe.migrationsJsonSync(path.join(project, 'prisma', 'migrations'));
    const printed = JSON.parse(result.stdout);
    assert.deepEqual(
      printed.migrations.map((m) => [m.name, m.checksum]),
      JSON.parse(expected).migrations.map((m) => [m.name, m.checksum]),
    );
  });
});
