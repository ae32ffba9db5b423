'use strict';
// The npm `bin` (bin/dbsafe.js -> dbsafe_cli_main) prints exactly the listing
// the library gives the binding.

const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { CORPUS_COUNTS, binPath, childEnv, corpusDir, fixturesRoot, repoRoot } = require('./helpers');

function runCli(args) {
  const result = spawnSync(process.execPath, [binPath, ...args], {
    cwd: repoRoot,
    env: childEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(result.error, undefined);
  return result;
}

describe('dbsafe bin', () => {
  const dirs = [
    ...Object.keys(CORPUS_COUNTS).map(corpusDir),
    ...['prisma', 'prisma-crlf', 'plain', 'flyway', 'dbmate', 'golang-migrate'].map((layout) =>
      path.join(fixturesRoot, layout),
    ),
  ];
  for (const dir of dirs) {
    it(`list --format json ${path.relative(repoRoot, dir)} equals migrationsJson`, async () => {
      const [text, set] = await Promise.all([dbsafe.migrationsJson(dir), dbsafe.migrations(dir)]);
      const result = runCli(['list', '--format', 'json', dir]);
      assert.equal(result.stderr, '');
      assert.equal(result.status, 0);
      assert.equal(result.stdout, `${text}\n`);
      assert.equal(result.stdout, `${set.json}\n`);
    });
  }

  it('relative paths are resolved the same way', async () => {
    const relative = path.relative(repoRoot, corpusDir('hoppscotch'));
    const result = runCli(['list', '--format', 'json', relative]);
    assert.equal(result.status, 0);
    // migrationsJson resolves relative paths against this process's cwd.
    const text = await dbsafe.migrationsJson(path.join(repoRoot, relative));
    const expected = JSON.parse(text);
    const printed = JSON.parse(result.stdout);
    assert.equal(printed.count, expected.count);
    assert.deepEqual(
      printed.migrations.map((m) => m.checksum),
      expected.migrations.map((m) => m.checksum),
    );
  });

  it('--version prints the library version', () => {
    const result = runCli(['--version']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trim(), `dbsafe ${dbsafe.version}`);
  });

  it('a missing directory exits 3 with the reason on stderr', () => {
    const missing = path.join(repoRoot, 'no-such-dir-for-dbsafe-tests');
    const result = runCli(['list', missing]);
    assert.equal(result.status, 3);
    assert.equal(result.stdout, '');
    assert.ok(result.stderr.includes(missing), result.stderr);
  });

  it('a usage error exits 3', () => {
    const result = runCli(['--no-such-flag']);
    assert.equal(result.status, 3);
    assert.ok(result.stderr.length > 0);
  });
});
