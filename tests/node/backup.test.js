'use strict';
// dbsafe.backup.create / verify / restore / prune from Node on a real
// PostgreSQL, and examples/node/backup.js as docs/backup.md shows it.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { childEnv, packageDir, repoRoot } = require('./helpers');
const { psql, withDatabase } = require('./support/postgres');

const CANARY = 'canary-Js-93ab';
let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-backup-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const withPassword = (url) => url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+)@/, `$1:${CANARY}@`);
const databaseOf = (url) => new URL(url).pathname.slice(1);
const fill = (url) =>
  psql(url, "CREATE TABLE item (id int PRIMARY KEY); INSERT INTO item SELECT generate_series(1, 64);");

describe('backup', () => {
  it('creates, verifies, restores behind a confirmation, and prunes', () =>
    withDatabase((source) =>
      withDatabase(async (target) => {
        await fill(source);
        const dir = fs.mkdtempSync(path.join(tmp, 'b-'));
        const lines = [];
        const created = await dbsafe.backup.create({
          dir,
          databaseUrl: withPassword(source),
          format: 'plain-gz',
          onLog: ({ message }) => lines.push(message),
        });
        assert.equal(created.operation, 'create');
        assert.equal(created.backup.manifest.tables, 1);
        assert.ok(fs.existsSync(created.backup.path));
        assert.ok(!created.json.includes(CANARY));
        assert.ok(lines.length > 0 && lines.every((l) => !l.includes(CANARY)));

        const verified = await dbsafe.backup.verify({ dir, testRestore: true });
        assert.equal(verified.verify.ok, true, verified.json);
        assert.equal(verified.verify.test_restore.rows, 64);

        await assert.rejects(
          dbsafe.backup.restore({ file: created.backup.path, databaseUrl: target, confirm: 'nope' }),
          (error) => error instanceof dbsafe.InvalidArgumentError && error.message.includes(databaseOf(target)),
        );
        const restored = await dbsafe.backup.restore({
          file: created.backup.path,
          databaseUrl: target,
          confirm: databaseOf(target),
        });
        assert.equal(restored.restore.tables, 1);
        assert.equal((await psql(target, 'SELECT count(*) FROM item')).trim(), '64');
        await assert.rejects(
          dbsafe.backup.restore({ file: created.backup.path, databaseUrl: target, confirm: databaseOf(target) }),
          (error) => error instanceof dbsafe.StateError && error.report?.operation === 'restore',
        );

        const pruned = await dbsafe.backup.prune({ dir, keepDays: 0, dryRun: true });
        assert.deepEqual(pruned.deleted, []);
        assert.equal(pruned.kept[0].reason, 'the newest');
      }),
    ));

  it('names an unknown option and refuses a bad value', async () => {
    await assert.rejects(
      dbsafe.backup.prune({ dir: tmp, keepDays: 1, keepForever: true }),
      (error) => error instanceof dbsafe.InvalidArgumentError && /keepForever/.test(error.message),
    );
    await assert.rejects(
      dbsafe.backup.create({ dir: tmp, compression: 12, databaseUrl: 'postgresql://u@127.0.0.1:1/db' }),
      (error) => error instanceof dbsafe.InvalidArgumentError && /options\.compression/.test(error.message),
    );
    await assert.rejects(dbsafe.backup.verify({ file: path.join(tmp, 'missing.dump') }), dbsafe.NotFoundError);
  });
});

describe('examples/node/backup.js', () => {
  const script = path.join(repoRoot, 'examples', 'node', 'backup.js');

  it('is shown verbatim in docs/backup.md', () => {
    const text = fs.readFileSync(path.join(repoRoot, 'docs', 'backup.md'), 'utf8');
    const blocks = [...text.matchAll(/<!-- example: (\S+) -->\n```\w+\n([\s\S]*?)```/g)];
    const node = blocks.filter((m) => m[1] === 'examples/node/backup.js');
    assert.equal(node.length, 1);
    assert.equal(node[0][2], fs.readFileSync(script, 'utf8'));
  });

  it('runs the daily job', () =>
    withDatabase(async (url) => {
      await fill(url);
      const modules = fs.mkdtempSync(path.join(tmp, 'modules-'));
      fs.symlinkSync(packageDir, path.join(modules, 'dbsafe'), 'dir');
      const dir = path.join(tmp, 'daily');
      const { status, stdout, stderr } = await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [script, 'daily', dir], {
          env: { ...childEnv(), NODE_PATH: modules, DATABASE_URL: url, DIRECT_URL: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ status: code, stdout: out, stderr: err }));
      });
      assert.equal(status, 0, stderr);
      assert.match(stdout, /^backup .*\.dump: 1 tables, sha256 [0-9a-f]{64}\npruned 0, kept 1\n$/);
    }));
});
