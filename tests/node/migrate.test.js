'use strict';
// The migration runner from Node: migrate.status / deploy / resolve / baseline
// (also migrateStatus etc.) against a real PostgreSQL, with progress events,
// AbortSignal and timeouts cancelling the running statement on the server,
// and a failed deploy's report on its DatabaseError.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { childEnv, packageDir, repoRoot } = require('./helpers');
const { psql, withDatabase } = require('./support/postgres');

const PRISMA_APP = path.join(repoRoot, 'examples', 'prisma-app', 'prisma', 'migrations');
const PRISMA_APP_NAMES = [
  '20240101000000_init',
  '20240115000000_add_comments',
  '20240201000000_add_post_slug',
];

const CANARY = 'secretpw';
// Nothing listens on port 1; connect_timeout bounds the attempt anyway.
const UNREACHABLE = `postgresql://u:${CANARY}@127.0.0.1:1/db?connect_timeout=2`;

const ACCOUNTS = 'CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n';
// CREATE INDEX CONCURRENTLY cannot run in a transaction: the safe runner sends it on its own.
const ACCOUNT_EMAIL_INDEX =
  'ALTER TABLE account ADD COLUMN name text;\n' +
  'CREATE INDEX CONCURRENTLY account_email_idx ON account (email);\n';
// Fails on line 4, at the misspelt table (column 13), with 42P01 undefined_table.
const BROKEN_AUDIT =
  '-- Adds the audit table and its first row\n' +
  'CREATE TABLE audit (id bigint PRIMARY KEY, note text);\n' +
  '\n' +
  "INSERT INTO audit_typo (id, note) VALUES (1, 'created');\n";
const FIXED_AUDIT = BROKEN_AUDIT.replace('audit_typo', 'audit');
const SLOW = 'CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n';

let tmp;
let setCounter = 0;

// A Prisma migration directory with one <name>/migration.sql per entry.
function writeMigrations(migrations) {
  setCounter += 1;
  const root = path.join(tmp, `set-${setCounter}`);
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (const [name, sql] of Object.entries(migrations)) {
    fs.mkdirSync(path.join(root, name));
    fs.writeFileSync(path.join(root, name, 'migration.sql'), sql);
  }
  return root;
}

// The rows of _prisma_migrations as "name finished rolled-back has-logs", in order.
async function history(url) {
  const out = await psql(
    url,
    'SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, ' +
      'logs IS NOT NULL FROM _prisma_migrations ORDER BY started_at, migration_name;',
  );
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('|').join(' '));
}

async function tableExists(url, name) {
  return (await psql(url, `SELECT to_regclass('public.${name}') IS NOT NULL;`)).trim() === 't';
}

// Sessions of this database still running the migration's pg_sleep(30).
async function sleepingBackends(url) {
  const out = await psql(
    url,
    'SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() ' +
      "AND state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid();",
  );
  return Number(out.trim());
}

function states(report) {
  return Object.fromEntries(report.migrations.map((m) => [m.name, m.state]));
}

function migration(report, name) {
  const found = report.migrations.find((m) => m.name === name);
  assert.ok(found, `the report has no migration ${name}`);
  return found;
}

// After a cancelled or timed-out deploy the migration is pending (rolled
// back) or failed, and the status code agrees with what the report shows.
function assertNotAppliedAndConsistent(report, name) {
  const { state } = migration(report, name);
  assert.ok(state === 'pending' || state === 'failed', state);
  assert.equal(report.status_code, state === 'failed' ? 2 : 1);
  assert.equal(migration(report, '001_accounts').state, 'applied');
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-migrate-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('migrate deploy and status', () => {
  it('deploys the example app, then status is up to date and a second deploy applies nothing', () =>
    withDatabase(async (url) => {
      const before = await dbsafe.migrate.status(PRISMA_APP, { databaseUrl: url });
      assert.equal(before.command, 'status');
      assert.equal(before.status_code, 1);
      assert.equal(before.history_exists, false);
      assert.equal(before.summary.pending, 3);
      // status is read-only: it did not create the history table.
      assert.equal(await tableExists(url, '_prisma_migrations'), false);

      const report = await dbsafe.migrate.deploy(PRISMA_APP, { databaseUrl: url });
      assert.equal(report.schema_version, 1);
      assert.equal(report.command, 'deploy');
      assert.equal(report.mode, 'safe');
      assert.equal(report.dry_run, false);
      assert.equal(report.root, PRISMA_APP);
      assert.equal(report.history_table, '"public"."_prisma_migrations"');
      assert.deepEqual(
        report.applied.map((a) => a.name),
        PRISMA_APP_NAMES,
      );
      for (const applied of report.applied) {
        assert.ok(applied.steps >= 1 && applied.elapsed_ms >= 0 && applied.resumed === false);
      }
      assert.equal(report.failure, undefined);
      assert.equal(report.status_code, 0);
      assert.deepEqual(report.summary, {
        applied: 3,
        pending: 0,
        failed: 0,
        modified: 0,
        missing: 0,
        out_of_order: 0,
      });
      for (const planned of report.migrations) {
        assert.equal(planned.state, 'applied');
        assert.equal(planned.checksum, planned.recorded_checksum);
        assert.equal(planned.path, `${planned.name}/migration.sql`);
      }
      // The exact text is there, not enumerable, and is the same document.
      assert.equal(typeof report.json, 'string');
      assert.ok(!Object.keys(report).includes('json'));
      assert.deepEqual(JSON.parse(report.json), { ...report });

      assert.deepEqual(
        await history(url),
        PRISMA_APP_NAMES.map((name) => `${name} t f f`),
      );
      for (const table of ['User', 'Post', 'Comment']) {
        assert.ok(await tableExists(url, `"${table}"`), table);
      }

      const after = await dbsafe.migrateStatus(PRISMA_APP, { databaseUrl: url });
      assert.equal(after.status_code, 0);
      assert.deepEqual(Object.values(states(after)), ['applied', 'applied', 'applied']);
      const again = await dbsafe.migrateDeploy(PRISMA_APP, { databaseUrl: new URL(url) });
      assert.deepEqual(again.applied, []);
      assert.equal(again.status_code, 0);
      assert.equal((await history(url)).length, 3);
    }));

  it('runs CREATE INDEX CONCURRENTLY outside the transaction', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({
        '001_accounts': ACCOUNTS,
        '002_account_email_index': ACCOUNT_EMAIL_INDEX,
      });
      const plan = await dbsafe.migrate.deploy(root, { databaseUrl: url, dryRun: true });
      const { steps } = migration(plan, '002_account_email_index');
      assert.deepEqual(
        steps.map((s) => [s.line, s.transactional]),
        [
          [1, true],
          [2, false],
        ],
      );
      assert.match(steps[1].sql, /^CREATE INDEX CONCURRENTLY account_email_idx/);

      const report = await dbsafe.migrate.deploy(root, { databaseUrl: url });
      assert.deepEqual(
        report.applied.map((a) => [a.name, a.steps]),
        [
          ['001_accounts', 1],
          ['002_account_email_index', 2],
        ],
      );
      const valid = await psql(
        url,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'account_email_idx'::regclass;",
      );
      assert.equal(valid.trim(), 't');
    }));

  it('dryRun returns the steps and changes nothing', () =>
    withDatabase(async (url) => {
      const report = await dbsafe.migrate.deploy(PRISMA_APP, {
        databaseUrl: url,
        dryRun: true,
        migrations: { '20240101000000_init': { lockTimeoutMs: 1000, statementTimeoutMs: 60000 } },
        lockTimeoutMs: 2000,
        lockRetries: 1,
        lockRetryBackoffMs: 100,
        advisoryLockTimeoutMs: 5000,
        connectRetryMs: 0,
        mode: 'safe',
        layout: 'prisma',
      });
      assert.equal(report.dry_run, true);
      assert.deepEqual(report.applied, []);
      assert.equal(report.status_code, 1);
      for (const planned of report.migrations) {
        assert.equal(planned.state, 'pending');
        assert.ok(planned.steps.length >= 1, planned.name);
        assert.ok(planned.steps.every((s) => s.transactional && s.sql.trim().length > 0));
      }
      assert.match(migration(report, '20240101000000_init').steps[0].sql, /CREATE TABLE "User"/);
      assert.equal(await tableExists(url, '_prisma_migrations'), false);
      assert.equal(await tableExists(url, '"User"'), false);
    }));
});

describe('migrate: a failing migration', () => {
  it('rejects with its position, the report and its failure; nothing runs until resolved', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({ '001_accounts': ACCOUNTS, '002_audit': BROKEN_AUDIT });
      const file = path.join(root, '002_audit', 'migration.sql');
      let failure;
      await assert.rejects(dbsafe.migrate.deploy(root, { databaseUrl: url }), (error) => {
        assert.ok(error instanceof dbsafe.DatabaseError, String(error));
        assert.equal(error.code, 'DBSAFE_EDB');
        assert.equal(error.status, -5);
        assert.equal(error.file, file);
        assert.equal(error.line, 4);
        assert.equal(error.column, 13);
        assert.equal(error.sqlstate, '42P01');
        assert.match(error.message, /resolve --rolled-back 002_audit/);

        assert.equal(error.report, error.detail);
        assert.equal(error.report.command, 'deploy');
        assert.deepEqual(
          error.report.applied.map((a) => a.name),
          ['001_accounts'],
        );
        assert.deepEqual(states(error.report), {
          '001_accounts': 'applied',
          '002_audit': 'failed',
        });
        assert.equal(error.report.status_code, 2);
        failure = error.failure;
        assert.equal(failure, error.report.failure);
        return true;
      });
      assert.equal(failure.migration, '002_audit');
      assert.equal(failure.file, file);
      assert.equal(failure.line, 4);
      assert.equal(failure.column, 13);
      assert.equal(failure.sqlstate, '42P01');
      assert.match(failure.message, /audit_typo/);
      assert.equal(failure.rolled_back, true);
      assert.equal(failure.steps_done, 0);
      assert.match(failure.resolve_command, /migrate resolve --rolled-back 002_audit/);

      // Its transaction was rolled back: the table it created is not there.
      assert.equal(await tableExists(url, 'audit'), false);
      assert.deepEqual(await history(url), ['001_accounts t f f', '002_audit f f t']);

      const status = await dbsafe.migrate.status(root, { databaseUrl: url });
      assert.equal(status.status_code, 2);
      assert.equal(migration(status, '002_audit').state, 'failed');
      assert.match(migration(status, '002_audit').logs, /audit_typo/);

      await assert.rejects(dbsafe.migrate.deploy(root, { databaseUrl: url }), (error) => {
        assert.ok(error instanceof dbsafe.StateError, String(error));
        assert.equal(error.code, 'DBSAFE_ESTATE');
        assert.equal(error.status, dbsafe.Status.DBSAFE_ESTATE);
        assert.match(error.message, /resolve --rolled-back 002_audit/);
        // The refusal carries the plan that stopped it, and no new failure.
        assert.equal(error.report.status_code, 2);
        assert.equal(migration(error.report, '002_audit').state, 'failed');
        assert.equal(error.failure, null);
        return true;
      });

      // resolve --rolled-back, fix the file, deploy again.
      const resolved = await dbsafe.migrate.resolve(
        root,
        { rolledBack: '002_audit' },
        { databaseUrl: url },
      );
      assert.equal(resolved.command, 'resolve');
      assert.deepEqual(resolved.resolved, ['002_audit']);
      assert.equal(migration(resolved, '002_audit').state, 'pending');
      fs.writeFileSync(file, FIXED_AUDIT);
      const report = await dbsafe.migrate.deploy(root, { databaseUrl: url });
      assert.deepEqual(
        report.applied.map((a) => a.name),
        ['002_audit'],
      );
      assert.equal(report.status_code, 0);
      assert.equal((await psql(url, 'SELECT note FROM audit;')).trim(), 'created');
      assert.deepEqual(await history(url), [
        '001_accounts t f f',
        '002_audit f t t',
        '002_audit t f f',
      ]);
    }));

  it('resolve { applied } records a migration without running it', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({ '001_accounts': ACCOUNTS, '002_audit': BROKEN_AUDIT });
      const resolved = await dbsafe.migrateResolve(
        root,
        { applied: '002_audit' },
        { databaseUrl: url },
      );
      assert.deepEqual(resolved.resolved, ['002_audit']);
      const report = await dbsafe.migrate.deploy(root, { databaseUrl: url });
      assert.deepEqual(
        report.applied.map((a) => a.name),
        ['001_accounts'],
      );
      assert.equal(report.status_code, 0);
      assert.equal(await tableExists(url, 'audit'), false);
    }));
});

describe('migrate baseline', () => {
  it('marks the migrations up to the name applied; deploy runs only the later ones', () =>
    withDatabase(async (url) => {
      // A database built before it had a history: the first two migrations' tables exist.
      for (const name of PRISMA_APP_NAMES.slice(0, 2)) {
        await psql(url, fs.readFileSync(path.join(PRISMA_APP, name, 'migration.sql'), 'utf8'));
      }
      const report = await dbsafe.migrate.baseline(PRISMA_APP, PRISMA_APP_NAMES[1], {
        databaseUrl: url,
      });
      assert.equal(report.command, 'baseline');
      assert.deepEqual(report.resolved, PRISMA_APP_NAMES.slice(0, 2));
      assert.deepEqual(
        PRISMA_APP_NAMES.map((name) => states(report)[name]),
        ['applied', 'applied', 'pending'],
      );
      // Already recorded: a second baseline has nothing to mark.
      const again = await dbsafe.migrateBaseline(PRISMA_APP, PRISMA_APP_NAMES[1], {
        databaseUrl: url,
      });
      assert.deepEqual(again.resolved, []);
      const deployed = await dbsafe.migrate.deploy(PRISMA_APP, { databaseUrl: url });
      assert.deepEqual(
        deployed.applied.map((a) => a.name),
        PRISMA_APP_NAMES.slice(2),
      );
      assert.equal(deployed.status_code, 0);
      await assert.rejects(
        dbsafe.migrate.baseline(PRISMA_APP, '20990101000000_nope', { databaseUrl: url }),
        dbsafe.NotFoundError,
      );
    }));
});

describe('migrate progress, cancellation and timeouts', () => {
  it('delivers the progress events in order, before the promise settles', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({
        '001_accounts': ACCOUNTS,
        '002_account_email_index': ACCOUNT_EMAIL_INDEX,
      });
      const events = [];
      await dbsafe.migrate.deploy(root, {
        databaseUrl: url,
        onProgress: (event) => events.push(event),
      });
      const fields = {
        'migration-start': ['migration', 'index', 'total', 'steps'],
        'step-start': ['migration', 'step', 'steps', 'line'],
        'statement-finish': ['migration', 'step', 'statement', 'line'],
        'migration-finish': ['migration'],
      };
      const shape = (e) => [e.event, ...fields[e.event].map((name) => e[name])];
      assert.deepEqual(events.filter((e) => Object.hasOwn(fields, e.event)).map(shape), [
        ['migration-start', '001_accounts', 1, 2, 1],
        ['step-start', '001_accounts', 1, 1, 1],
        ['statement-finish', '001_accounts', 1, 1, 1],
        ['migration-finish', '001_accounts'],
        ['migration-start', '002_account_email_index', 2, 2, 2],
        ['step-start', '002_account_email_index', 1, 2, 1],
        ['statement-finish', '002_account_email_index', 1, 1, 1],
        ['step-start', '002_account_email_index', 2, 2, 2],
        ['statement-finish', '002_account_email_index', 2, 1, 2],
        ['migration-finish', '002_account_email_index'],
      ]);
      for (const e of events.filter((x) => x.event.endsWith('-finish'))) {
        assert.ok(e.elapsed_ms >= 0, JSON.stringify(e));
      }
      // Reading the set comes first, one event per file.
      assert.deepEqual(
        events.slice(0, 2).map((e) => [e.event, e.name]),
        [
          ['migration_read', '001_accounts'],
          ['migration_read', '002_account_email_index'],
        ],
      );
    }));

  it('an AbortSignal cancels a long statement on the server within seconds', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({ '001_accounts': ACCOUNTS, '002_slow': SLOW });
      const controller = new AbortController();
      const reason = new Error('deploy window closed');
      let abortedAt;
      const deploy = dbsafe.migrate.deploy(root, {
        databaseUrl: url,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.event === 'step-start' && event.migration === '002_slow') {
            setTimeout(() => {
              abortedAt = Date.now();
              controller.abort(reason);
            }, 500);
          }
        },
      });
      await assert.rejects(deploy, (error) => {
        assert.ok(error instanceof dbsafe.CancelledError, String(error));
        assert.equal(error.code, 'DBSAFE_ECANCELLED');
        assert.equal(error.cause, reason);
        return true;
      });
      assert.ok(Date.now() - abortedAt < 10000, `${Date.now() - abortedAt} ms after abort`);
      assert.equal(await sleepingBackends(url), 0);
      assert.equal(await tableExists(url, 'slow'), false);
      assertNotAppliedAndConsistent(
        await dbsafe.migrate.status(root, { databaseUrl: url }),
        '002_slow',
      );
    }));

  it('timeoutMs cancels a long statement with a TimeoutError', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({ '001_accounts': ACCOUNTS, '002_slow': SLOW });
      const started = Date.now();
      await assert.rejects(
        dbsafe.migrate.deploy(root, { databaseUrl: url, timeoutMs: 2000 }),
        dbsafe.TimeoutError,
      );
      assert.ok(Date.now() - started < 10000);
      assert.equal(await sleepingBackends(url), 0);
      assertNotAppliedAndConsistent(
        await dbsafe.migrate.status(root, { databaseUrl: url }),
        '002_slow',
      );
    }));

  it('an already-aborted signal rejects before connecting', async () => {
    const root = writeMigrations({ '001_accounts': ACCOUNTS });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      dbsafe.migrate.deploy(root, { databaseUrl: UNREACHABLE, signal: controller.signal }),
      dbsafe.CancelledError,
    );
  });

  it('the event loop keeps running while a deploy waits on the server', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({ '001_wait': 'SELECT pg_sleep(1);\n' });
      let ticks = 0;
      const timer = setInterval(() => {
        ticks += 1;
      }, 10);
      try {
        await dbsafe.migrate.deploy(root, { databaseUrl: url });
      } finally {
        clearInterval(timer);
      }
      assert.ok(ticks >= 30, `only ${ticks} ticks during a one-second deploy`);
    }));
});

describe('migrate: bad input', () => {
  it('a missing directory rejects with a NotFoundError', async () => {
    const missing = path.join(tmp, 'nope');
    for (const call of [dbsafe.migrate.status, dbsafe.migrate.deploy]) {
      await assert.rejects(call(missing, { databaseUrl: UNREACHABLE }), (error) => {
        assert.ok(error instanceof dbsafe.NotFoundError, String(error));
        assert.ok(error.message.includes(missing), error.message);
        return true;
      });
    }
  });

  it('an unreachable server is a ConnectError without the password', async () => {
    const root = writeMigrations({ '001_accounts': ACCOUNTS });
    const started = Date.now();
    for (const call of [dbsafe.migrate.deploy, dbsafe.migrate.status]) {
      await assert.rejects(call(root, { databaseUrl: UNREACHABLE, connectRetryMs: 0 }), (error) => {
        assert.ok(error instanceof dbsafe.ConnectError, String(error));
        assert.equal(error.code, 'DBSAFE_ECONNECT');
        assert.equal(error.report, null);
        for (const text of [error.message, String(error.stack), JSON.stringify(error.detail)]) {
          assert.ok(!text.includes(CANARY), `the password leaked: ${text}`);
        }
        return true;
      });
    }
    assert.ok(Date.now() - started < 10000);
  });

  it('rejects unknown options and bad values before connecting', async () => {
    const root = writeMigrations({ '001_accounts': ACCOUNTS });
    const invalid = (pattern) => (error) => {
      assert.ok(error instanceof dbsafe.InvalidArgumentError, String(error));
      assert.equal(error.code, 'DBSAFE_EINVALID');
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes(CANARY), error.message);
      return true;
    };
    const base = { databaseUrl: UNREACHABLE, connectRetryMs: 0 };
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, lockTimeout: 5 }),
      invalid(/unknown option 'lockTimeout' of migrate deploy; the options are databaseUrl, /),
    );
    await assert.rejects(
      dbsafe.migrate.status(root, { ...base, dryRun: true }),
      invalid(/unknown option 'dryRun' of migrate status/),
    );
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, layout: 'rails' }),
      invalid(/options\.layout must be one of/),
    );
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, migrations: { '001_accounts': { lock: 1 } } }),
      invalid(/unknown option 'lock' in options\.migrations\['001_accounts'\]/),
    );
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, migrations: { '001_accounts': 5 } }),
      invalid(/options\.migrations\['001_accounts'\] must be an object/),
    );
    // The library judges the values; its message names the option as written here.
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, lockRetries: 1000 }),
      invalid(/^dbsafe: options\.lockRetries must be an integer from 0 to 100/),
    );
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, mode: 'fast' }),
      invalid(/^dbsafe: options\.mode must be/),
    );
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, allowModified: 'yes' }),
      invalid(/^dbsafe: options\.allowModified must be true or false/),
    );
    await assert.rejects(
      dbsafe.migrate.deploy(root, { ...base, lockTimeoutMs: 10n }),
      invalid(/options\.lockTimeoutMs cannot be written as JSON/),
    );

    await assert.rejects(dbsafe.migrate.deploy(42), TypeError);
    await assert.rejects(dbsafe.migrate.deploy(root, 'fast'), TypeError);
    await assert.rejects(dbsafe.migrate.deploy(root, { ...base, databaseUrl: 5 }), TypeError);
    await assert.rejects(dbsafe.migrate.deploy(root, { ...base, signal: {} }), TypeError);
    await assert.rejects(dbsafe.migrate.deploy(root, { ...base, onProgress: 1 }), TypeError);
    await assert.rejects(dbsafe.migrate.deploy(root, { ...base, timeoutMs: -1 }), {
      name: 'RangeError',
      code: 'ERR_OUT_OF_RANGE',
    });
    for (const target of [
      undefined,
      'x',
      {},
      { applied: 'a', rolledBack: 'b' },
      { applied: 'a', extra: 1 },
    ]) {
      await assert.rejects(dbsafe.migrate.resolve(root, target, base), TypeError);
    }
    await assert.rejects(dbsafe.migrate.resolve(root, { applied: '' }, base), TypeError);
    await assert.rejects(dbsafe.migrate.resolve(root, { rolledBack: 7 }, base), TypeError);
    await assert.rejects(dbsafe.migrate.baseline(root, null, base), TypeError);
    await assert.rejects(dbsafe.migrate.baseline(root, 'a\0b', base), TypeError);
  });
});

describe('migrate: the package surface', () => {
  it('exports migrate and the top-level functions, the same ones', () => {
    assert.deepEqual(Object.keys(dbsafe.migrate), [
      'status',
      'deploy',
      'resolve',
      'baseline',
      'baselineFromDatabase',
    ]);
    assert.ok(Object.isFrozen(dbsafe.migrate));
    assert.equal(dbsafe.migrate.status, dbsafe.migrateStatus);
    assert.equal(dbsafe.migrate.deploy, dbsafe.migrateDeploy);
    assert.equal(dbsafe.migrate.resolve, dbsafe.migrateResolve);
    assert.equal(dbsafe.migrate.baseline, dbsafe.migrateBaseline);
    assert.equal(dbsafe.migrate.baselineFromDatabase, dbsafe.migrateBaselineFromDatabase);
    assert.equal(dbsafe.Status.DBSAFE_ESTATE, -14);
    assert.equal(dbsafe.statusName(-14), 'DBSAFE_ESTATE');
    const error = new dbsafe.StateError('resolve it first', { status: -14 });
    assert.equal(error.code, 'DBSAFE_ESTATE');
    assert.ok(error instanceof dbsafe.DbsafeError);
    assert.equal(error.report, null);
  });

  it('the addon checks its own arguments', () => {
    const addonPath = process.env.DBSAFE_NODE_ADDON
      ? path.resolve(process.env.DBSAFE_NODE_ADDON)
      : path.join(packageDir, 'build', 'Release', 'dbsafe.node');
    const addon = require(addonPath);
    assert.throws(() => addon.migrateStatus(42, null, null, null), TypeError);
    assert.throws(() => addon.migrateDeploy('', null, null, null), TypeError);
    assert.throws(() => addon.migrateDeploy(tmp, 5, null, null), TypeError);
    assert.throws(() => addon.migrateDeploy(tmp, null, null, null, -1), RangeError);
    assert.throws(() => addon.migrateResolve(tmp, 'a', 'forgotten', null, null, null), RangeError);
    assert.throws(() => addon.migrateResolve(tmp, '', 'applied', null, null, null), TypeError);
    assert.throws(() => addon.migrateBaseline(tmp, 7, null, null, null), TypeError);
    assert.throws(() => addon.migrateBaseline(tmp, 'a', null, {}, null), TypeError);
  });
});

describe('examples/node/migrate.js', () => {
  // Runs the example in place, with `require('dbsafe')` resolved to this package.
  function runExample(args, env) {
    const modules = path.join(tmp, 'example-modules');
    if (!fs.existsSync(path.join(modules, 'dbsafe'))) {
      fs.mkdirSync(modules, { recursive: true });
      fs.symlinkSync(packageDir, path.join(modules, 'dbsafe'), 'dir');
    }
    const script = path.join(repoRoot, 'examples', 'node', 'migrate.js');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], {
        env: { ...childEnv(), NODE_PATH: modules, DIRECT_URL: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  it('deploys the sample app, then finds it up to date', () =>
    withDatabase(async (url) => {
      const first = await runExample([], { DATABASE_URL: url });
      assert.equal(first.stderr, '');
      assert.equal(first.status, 0);
      for (const name of PRISMA_APP_NAMES) {
        assert.match(first.stdout, new RegExp(`applied ${name}`));
      }
      const second = await runExample([PRISMA_APP], { DATABASE_URL: url });
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /3 migrations, database up to date/);
      assert.doesNotMatch(second.stdout, /applied /);
    }));

  it('reports a failure with its position and exits 5', () =>
    withDatabase(async (url) => {
      const root = writeMigrations({ '001_accounts': ACCOUNTS, '002_audit': BROKEN_AUDIT });
      const result = await runExample([root], { DATABASE_URL: url });
      assert.equal(result.status, 5, result.stderr);
      assert.match(result.stderr, /^DBSAFE_EDB: .*002_audit\/migration\.sql:4:13: /);
    }));
});
