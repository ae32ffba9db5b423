'use strict';
// deploy(): the safe-deploy pipeline for a [targets.NAME] table of
// dbsafe.toml, from Node, against a real PostgreSQL with the local provider
// (its snapshots are copies of the database on the same server).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { runExampleScript } = require('./helpers');
const { psql, withDatabase } = require('./support/postgres');

// The variables the targets read their URLs from; the direct one stays unset.
const URL_ENV = 'DBSAFE_NODE_DEPLOY_TEST_URL';
const DIRECT_URL_ENV = 'DBSAFE_NODE_DEPLOY_TEST_DIRECT_URL';

const INIT = 'CREATE TABLE t (id bigint PRIMARY KEY, a text);\n';
const DROP = 'ALTER TABLE t DROP COLUMN a;\n';

let tmp;
let projectCounter = 0;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-deploy-'));
  // The library reads these too: a test must approve only when it says so.
  for (const name of ['DBSAFE_APPROVE', 'DBSAFE_APPROVED_BY', 'DBSAFE_SLACK_WEBHOOK_URL', DIRECT_URL_ENV]) {
    delete process.env[name];
  }
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// A project: dbsafe.toml with [targets.x] (and [targets.y]), and a Prisma
// migration directory holding `migrations` ({name: sql}).
function writeProject(migrations) {
  projectCounter += 1;
  const root = path.join(tmp, `project-${projectCounter}`);
  fs.mkdirSync(path.join(root, 'db', 'migrations'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'dbsafe.toml'),
    [
      '[targets.x]',
      'migrations = "db/migrations"',
      'provider = "local"',
      `url_env = "${URL_ENV}"`,
      `direct_url_env = "${DIRECT_URL_ENV}"`,
      'audit_file = "audit.jsonl"',
      '',
      '[targets.y]',
      'migrations = "db/migrations"',
      `url_env = "${URL_ENV}"`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(root, 'db', 'migrations', 'migration_lock.toml'), 'provider = "postgresql"\n');
  addMigrations(root, migrations);
  return root;
}

function addMigrations(root, migrations) {
  for (const [name, sql] of Object.entries(migrations)) {
    fs.mkdirSync(path.join(root, 'db', 'migrations', name));
    fs.writeFileSync(path.join(root, 'db', 'migrations', name, 'migration.sql'), sql);
  }
}

function auditLines(root) {
  const file = path.join(root, 'audit.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse);
}

// A fresh database named by URL_ENV for fn(url); the local provider's
// snapshots of it (copies on the same server) are deleted afterwards.
function withTargetDatabase(fn) {
  return withDatabase(async (url) => {
    process.env[URL_ENV] = url;
    try {
      return await fn(url);
    } finally {
      delete process.env[URL_ENV];
      const provider = await dbsafe.openProvider({ kind: 'local', databaseUrl: url });
      try {
        for (const snapshot of await provider.listSnapshots()) {
          await provider.deleteSnapshot(snapshot.id, { confirm: snapshot.id });
        }
      } finally {
        await provider.close();
      }
    }
  });
}

describe('deploy', () => {
  it('applies, a dry run changes nothing, the gate stops a drop until approved, a failure carries the report', () =>
    withTargetDatabase(async (url) => {
      const root = writeProject({ '20240101000000_init': INIT });
      const config = path.join(root, 'dbsafe.toml');

      const events = [];
      const logs = [];
      const first = await dbsafe.deploy({
        target: 'x',
        config,
        onProgress: (event) => events.push(event),
        onLog: (record) => logs.push(record),
      });
      assert.equal(first.outcome, 'deployed');
      assert.equal(first.exit_code, 0);
      assert.equal(first.target, 'x');
      assert.deepEqual(first.applied, ['20240101000000_init']);
      assert.deepEqual(
        first.steps.map((s) => [s.name, s.status]),
        [
          ['connect', 'ok'],
          ['plan', 'ok'],
          ['check', 'ok'],
          ['gate', 'ok'],
          ['snapshot', 'ok'],
          ['apply', 'ok'],
          ['verify', 'ok'],
          ['audit', 'ok'],
          ['notify', 'skipped'],
        ],
      );
      assert.equal(first.snapshot.name, 'pre-deploy-backup');
      assert.deepEqual(first.audit, { file: path.join(root, 'audit.jsonl'), row_written: true, line_written: true });
      // The library's document, its exact text hidden as `json`.
      assert.deepEqual(JSON.parse(first.json), { ...first });
      assert.ok(!Object.keys(first).includes('json'));
      const stepEvents = events.filter((e) => e.event === 'deploy-step');
      assert.deepEqual(
        stepEvents.slice(0, 7).map((e) => [e.step, e.status]),
        first.steps.slice(0, 7).map((s) => [s.name, s.status]),
      );
      assert.ok(logs.some((r) => r.component === 'deploy' && r.level === 'info'), JSON.stringify(logs));
      const lines = auditLines(root);
      assert.equal(lines.length, 1);
      assert.equal(lines[0].id, first.id);
      assert.equal(await psql(url, 'SELECT count(*) FROM dbsafe.audit'), '1\n');

      await psql(url, "INSERT INTO t VALUES (1, 'x')"); // a column with data: an error to drop
      addMigrations(root, { '20240201000000_drop': DROP });

      const dry = await dbsafe.deploy({ target: 'x', config, dryRun: true });
      assert.equal(dry.outcome, 'dry-run');
      assert.equal(dry.dry_run, true);
      assert.equal(dry.exit_code, 1, 'the gate would stop it');
      assert.deepEqual(dry.pending, ['20240201000000_drop']);
      assert.equal(dry.audit.file, null);
      assert.equal(await psql(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'a'"), '1\n');
      assert.equal(auditLines(root).length, 1, 'a dry run writes no audit line');
      assert.equal(await psql(url, 'SELECT count(*) FROM dbsafe.audit'), '1\n');

      const stopped = await dbsafe.deploy({ target: 'x', config });
      assert.equal(stopped.outcome, 'stopped');
      assert.equal(stopped.exit_code, 1);
      assert.equal(stopped.gate.decision, 'needs-approval');
      assert.equal(stopped.gate.approve_hint, 'dbsafe deploy --target x --approve');
      assert.equal(stopped.check.findings[0].rule, 'drop-column');
      assert.deepEqual(stopped.applied, []);
      assert.equal(await psql(url, "SELECT a FROM t"), 'x\n');

      const approved = await dbsafe.deploy({ target: 'x', config, approvedBy: ['alice'] });
      assert.equal(approved.outcome, 'deployed');
      assert.equal(approved.exit_code, 0);
      assert.equal(approved.gate.decision, 'approved');
      assert.deepEqual(approved.gate.approved_by, ['alice']);
      assert.deepEqual(approved.applied, ['20240201000000_drop']);
      assert.equal(await psql(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'a'"), '0\n');

      addMigrations(root, { '20240301000000_bad': 'SELECT nosuch FROM t;\n' });
      const failed = await dbsafe.deploy({ target: 'x', config }).then(
        () => assert.fail('a failing migration must reject'),
        (err) => err,
      );
      assert.ok(failed instanceof dbsafe.DatabaseError, failed.stack);
      assert.equal(failed.sqlstate, '42703');
      assert.equal(failed.report.outcome, 'failed');
      assert.equal(failed.report.exit_code, 5);
      assert.match(failed.report.restore_command, /^dbsafe snapshot restore /);
      assert.equal(failed.failure, null);
      assert.deepEqual(failed.report, failed.detail);
      assert.equal(auditLines(root).length, 4, 'deployed, stopped, approved, failed');
    }));

  it('names the targets when the target does not exist', async () => {
    const root = writeProject({ '20240101000000_init': INIT });
    await assert.rejects(dbsafe.deploy({ target: 'nope', config: path.join(root, 'dbsafe.toml') }), (err) => {
      assert.ok(err instanceof dbsafe.NotFoundError, err.stack);
      assert.equal(err.code, 'DBSAFE_ENOTFOUND');
      assert.match(err.message, /no \[targets\.nope\] table \(targets: x, y\)/);
      assert.equal(err.report, null);
      return true;
    });
  });

  it('refuses a seed where the target does not allow it', async () => {
    const config = path.join(writeProject({ '20240101000000_init': INIT }), 'dbsafe.toml');
    await assert.rejects(dbsafe.deploy({ target: 'x', config, seedCommand: 'true' }), (err) => {
      assert.ok(err instanceof dbsafe.InvalidArgumentError, err.stack);
      assert.match(err.message, /allow_seed = true/);
      return true;
    });
  });

  it('checks its options before it starts', async () => {
    const config = path.join(writeProject({}), 'dbsafe.toml');
    await assert.rejects(dbsafe.deploy('x'), TypeError);
    // Without a target (and outside a Vercel build) the library names both ways.
    delete process.env.VERCEL_ENV;
    await assert.rejects(dbsafe.deploy({ config }), (err) => {
      assert.ok(err instanceof dbsafe.InvalidArgumentError);
      assert.match(err.message, /no deploy target: pass --target NAME .*or set VERCEL_ENV/);
      return true;
    });
    await assert.rejects(dbsafe.deploy({ target: 'x', config, dryrun: true }), (err) => {
      assert.ok(err instanceof dbsafe.InvalidArgumentError);
      assert.match(err.message, /unknown option 'dryrun' of deploy; the options are target, config, dryRun/);
      return true;
    });
    await assert.rejects(dbsafe.deploy({ target: 'x', config, approvedBy: 'alice' }), (err) => {
      assert.ok(err instanceof dbsafe.InvalidArgumentError);
      assert.equal(err.message, 'dbsafe: options.approvedBy must be an array of strings');
      return true;
    });
    await assert.rejects(dbsafe.deploy({ target: 'x', config, dryRun: 'yes' }), (err) => {
      assert.ok(err instanceof dbsafe.InvalidArgumentError);
      assert.match(err.message, /^dbsafe: options\.dryRun must be true or false/);
      return true;
    });
    await assert.rejects(
      dbsafe.deploy({ target: 'x', config, signal: AbortSignal.abort() }),
      dbsafe.CancelledError,
    );
    await assert.rejects(
      dbsafe.deploy({ target: 'x', config: path.join(tmp, 'missing.toml') }),
      dbsafe.NotFoundError,
    );
  });
});

// Runs examples/node/SCRIPT in `cwd`, with `require('dbsafe')` resolved to this package.
describe('restore', () => {
  it('needs the target name, keeps the replaced data and writes the audit trail back', () =>
    withTargetDatabase(async (url) => {
      const root = writeProject({ '20240101000000_init': INIT });
      const config = path.join(root, 'dbsafe.toml');
      assert.equal((await dbsafe.deploy({ target: 'x', config })).outcome, 'deployed');
      await psql(url, "INSERT INTO t VALUES (1, 'x')");
      addMigrations(root, { '20240201000000_drop': DROP });
      assert.equal((await dbsafe.deploy({ target: 'x', config, approve: true })).outcome, 'deployed');

      await assert.rejects(dbsafe.restore({ target: 'x', config, from: 'pre-deploy-backup' }), (err) => {
        assert.ok(err instanceof dbsafe.InvalidArgumentError, err.stack);
        assert.match(err.message, /--confirm 'x'/);
        return true;
      });
      await assert.rejects(dbsafe.restore({ target: 'x', config }), /options\.from is required/);
      await assert.rejects(dbsafe.restore({ target: 'x', config, from: 'pre-deploy-backup', confrm: 'x' }), (err) => {
        assert.match(err.message, /unknown option 'confrm' of restore; the options are target, config, from, confirm/);
        return true;
      });

      const events = [];
      const r = await dbsafe.restore({
        target: 'x',
        config,
        from: 'pre-deploy-backup',
        confirm: 'x',
        onProgress: (e) => events.push(e),
      });
      assert.equal(r.operation, 'restore');
      assert.equal(r.outcome, 'restored');
      assert.equal(r.exit_code, 0);
      assert.equal((await psql(url, 'SELECT a FROM t')).trim(), 'x');
      assert.match(r.restore.safety_snapshot.name, /^pre-restore-/);
      assert.equal(r.restore.audit_rows_written_back, 1);
      assert.deepEqual(r.pending, ['20240201000000_drop']);
      assert.deepEqual(
        events.filter((e) => e.event === 'restore-step').map((e) => e.step).slice(0, 4),
        ['connect', 'resolve', 'safety-snapshot', 'restore'],
      );
      assert.deepEqual(
        auditLines(root).map((l) => l.operation),
        ['deploy', 'deploy', 'restore'],
      );

      // With reapply the drop runs again and verify passes.
      const again = await dbsafe.restore({ target: 'x', config, from: 'pre-deploy-backup', confirm: 'RESTORE', reapply: true });
      assert.deepEqual(again.applied, ['20240201000000_drop']);
      assert.equal(again.steps.find((s) => s.name === 'verify').status, 'ok');

      // examples/node/restore.js: the same from an ops script.
      const refused = await runExampleScript('restore.js', root, ['x', 'pre-deploy-backup']);
      assert.equal(refused.status, 3);
      const example = await runExampleScript('restore.js', root, ['x', 'pre-deploy-backup', '--confirm', 'x']);
      assert.equal(example.status, 0, example.stderr);
      assert.match(example.stdout, /^safety-snapshot: ok$/m);
      assert.match(example.stdout, /target x was restored from snapshot pre-deploy-backup/);
      assert.equal((await psql(url, 'SELECT a FROM t')).trim(), 'x');
    }));
});

describe('examples/node/deploy-db.js', () => {
  // Runs the example in the project, with `require('dbsafe')` resolved to this package.
  function runExample(cwd, args, env = {}) {
    return runExampleScript('deploy-db.js', cwd, args, env);
  }

  it('deploys, then fails the build when the gate stops a deploy', () =>
    withTargetDatabase(async (url) => {
      const root = writeProject({ '20240101000000_init': INIT });
      const env = { [URL_ENV]: url };
      const first = await runExample(root, ['x'], env);
      assert.equal(first.stderr, '');
      assert.equal(first.status, 0);
      assert.match(first.stdout, /^connect: ok/m);
      assert.match(first.stdout, /^apply: ok/m);

      await psql(url, "INSERT INTO t VALUES (1, 'x')");
      addMigrations(root, { '20240201000000_drop': DROP });
      const stopped = await runExample(root, ['x'], env);
      assert.equal(stopped.status, 1, stopped.stderr);
      assert.match(stopped.stderr, /approve with: dbsafe deploy --target x --approve/);

      const missing = await runExample(root, ['nope'], env);
      assert.equal(missing.status, 3);
      assert.match(missing.stderr, /^DBSAFE_ENOTFOUND: .*targets: x, y/);
    }));
});
