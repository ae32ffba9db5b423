'use strict';
// Schema dump, render, diff, drift, verify and a baseline taken from a live
// database, from Node, against a real PostgreSQL: schema.dump / render / diff,
// drift(), verify() and migrate.baselineFromDatabase().

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { packageDir } = require('./helpers');
const { psql, serverUrl, withDatabase } = require('./support/postgres');

const INIT =
  'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\n' +
  'CREATE UNIQUE INDEX "User_email_key" ON "User"(email);\n';
const ADD_NAME = 'ALTER TABLE "User" ADD COLUMN name text;\n';

const CANARY = 'secretpw';
// Nothing listens on port 1; connect_timeout bounds the attempt anyway.
const UNREACHABLE = `postgresql://u:${CANARY}@127.0.0.1:1/db?connect_timeout=2`;

let tmp;
let setCounter = 0;

// The two-migration Prisma directory every test starts from.
function writeMigrations() {
  setCounter += 1;
  const root = path.join(tmp, `set-${setCounter}`);
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (const [name, sql] of [
    ['20240101000000_init', INIT],
    ['20240102000000_add_name', ADD_NAME],
  ]) {
    fs.mkdirSync(path.join(root, name));
    fs.writeFileSync(path.join(root, name, 'migration.sql'), sql);
  }
  return root;
}

// A fresh database with both migrations applied: fn(url, dir).
function withDeployed(fn) {
  return withDatabase(async (url) => {
    const dir = writeMigrations();
    await dbsafe.migrate.deploy(dir, { databaseUrl: url });
    return fn(url, dir);
  });
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-drift-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('drift', () => {
  it('finds none, then a dropped index, and its SQL repairs it', () =>
    withDeployed(async (url, dir) => {
      const clean = await dbsafe.drift(url, dir);
      assert.equal(clean.schema_version, 1);
      assert.equal(clean.kind, 'drift');
      assert.equal(clean.drift, false);
      assert.deepEqual(clean.changes, []);
      assert.equal(clean.sql, '');
      assert.equal(JSON.parse(clean.json).drift, false);
      assert.equal(Object.keys(clean).includes('json'), false, 'json is not enumerable');

      await psql(url, 'DROP INDEX "User_email_key";');
      const found = await dbsafe.drift(url, dir);
      assert.equal(found.drift, true);
      assert.match(found.sql, /CREATE UNIQUE INDEX/);
      const index = found.changes.find((c) => c.object_type === 'index');
      assert.ok(index, JSON.stringify(found.changes));
      assert.equal(index.action, 'create');
      assert.equal(index.destructive, false);
      assert.match(index.object, /User_email_key/);
      assert.equal(found.summary.changes, found.changes.length);
      assert.ok(Array.isArray(found.findings));

      await psql(url, found.sql);
      assert.equal((await dbsafe.drift(url, dir)).drift, false);
    }));

  it('is cancelled by an AbortSignal that is already aborted', () =>
    withDeployed(async (url, dir) => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(dbsafe.drift(url, dir, { signal: controller.signal }), {
        name: 'CancelledError',
        code: 'DBSAFE_ECANCELLED',
      });
    }));
});

describe('schema', () => {
  it('diffs empty against the migrations', async () => {
    const dir = writeMigrations();
    const serverUrlOption = await serverUrl();
    const report = await dbsafe.schemaDiff('empty', `migrations:${dir}`, {
      serverUrl: serverUrlOption,
    });
    assert.equal(report.kind, 'diff');
    assert.equal(report.drift, true);
    assert.match(report.sql, /CREATE TABLE/);
    assert.ok(report.changes.some((c) => c.action === 'create' && c.object_type === 'table'));
    assert.equal(
      report.changes.some((c) => c.destructive),
      false,
    );
  });

  it('dumps a database as SQL and JSON, and renders migrations', () =>
    withDeployed(async (url, dir) => {
      const model = await dbsafe.schema.dump(url, { format: 'json' });
      assert.equal(typeof model, 'string');
      assert.equal(JSON.parse(model).schema_version, 1);
      assert.equal(model.includes('_prisma_migrations'), false);
      const withHistory = await dbsafe.schema.dump(url, { format: 'json', includeHistory: true });
      assert.ok(withHistory.includes('_prisma_migrations'));
      const ddl = await dbsafe.schemaDump(url);
      assert.match(ddl, /CREATE TABLE/);
      assert.match(ddl, /"User"/);

      const rendered = await dbsafe.schema.render(`migrations:${dir}`, {
        serverUrl: await serverUrl(),
      });
      assert.match(rendered, /CREATE TABLE/);

      // A saved model is a source: the database against its own dump is no change.
      const saved = path.join(tmp, `model-${setCounter}.json`);
      fs.writeFileSync(saved, model);
      assert.equal((await dbsafe.schema.diff(`url:${url}`, saved)).drift, false);
    }));

  it('checks options before anything runs, naming them as written', async () => {
    await assert.rejects(dbsafe.schema.dump(UNREACHABLE, { format: 'yaml' }), {
      name: 'InvalidArgumentError',
      message: /options\.format must be 'sql' or 'json'/,
    });
    await assert.rejects(dbsafe.schema.dump(UNREACHABLE, { renames: [] }), {
      name: 'InvalidArgumentError',
      message: /unknown option 'renames' of schema\.dump/,
    });
    await assert.rejects(dbsafe.schema.diff('empty', 'empty', { layout: 'rails' }), {
      name: 'InvalidArgumentError',
      message: /options\.layout/,
    });
    await assert.rejects(dbsafe.schema.diff('empty', 'empty', { excludeSchemas: 'x' }), {
      name: 'InvalidArgumentError',
      message: /^dbsafe: options\.excludeSchemas must be an array of strings/,
    });
    await assert.rejects(dbsafe.schema.diff('empty', 'empty', { renames: ['sideways a=b'] }), {
      name: 'InvalidArgumentError',
      message: /^dbsafe: options\.renames/,
    });
    await assert.rejects(dbsafe.schema.diff('nonsense:thing', 'empty'), {
      name: 'InvalidArgumentError',
    });
    await assert.rejects(dbsafe.schema.diff('', 'empty'), TypeError);
    await assert.rejects(dbsafe.drift(UNREACHABLE, ''), TypeError);
    const none = await dbsafe.schema.diff('empty', 'empty');
    assert.equal(none.drift, false);
  });

  it('an unreachable database is a ConnectError without the password', async () => {
    const error = await dbsafe.schema.dump(UNREACHABLE).then(
      () => assert.fail('the dump should fail'),
      (e) => e,
    );
    assert.equal(error.code, 'DBSAFE_ECONNECT');
    assert.ok(error instanceof dbsafe.ConnectError);
    assert.equal(error.message.includes(CANARY), false, error.message);
  });
});

describe('verify', () => {
  it('is ok after the deploy and reports a dropped index as missing', () =>
    withDeployed(async (url, dir) => {
      const ok = await dbsafe.verify(url, dir);
      assert.equal(ok.schema_version, 1);
      assert.equal(ok.ok, true);
      assert.deepEqual(ok.problems, []);
      assert.ok(ok.checked.tables >= 1 && ok.checked.indexes >= 1, JSON.stringify(ok.checked));

      await psql(url, 'DROP INDEX "User_email_key";');
      const bad = await dbsafe.verify(url, dir);
      assert.equal(bad.ok, false);
      assert.ok(
        bad.problems.some(
          (p) =>
            p.object_type === 'index' && p.problem === 'missing' && /User_email_key/.test(p.object),
        ),
        JSON.stringify(bad.problems),
      );
    }));
});

describe('migrate.baselineFromDatabase', () => {
  it('writes the baseline migration and records it as applied', () =>
    withDatabase(async (url) => {
      await psql(url, INIT);
      setCounter += 1;
      const dir = path.join(tmp, `baseline-${setCounter}`);
      fs.mkdirSync(dir);
      const report = await dbsafe.migrate.baselineFromDatabase(dir, {
        databaseUrl: url,
        migrationName: '0_baseline',
      });
      assert.deepEqual(report.resolved, ['0_baseline']);
      const written = fs.readFileSync(path.join(dir, '0_baseline', 'migration.sql'), 'utf8');
      assert.match(written, /CREATE TABLE/);
      const status = await dbsafe.migrate.status(dir, { databaseUrl: url });
      assert.equal(status.status_code, 0);
    }));

  it('takes the migrate options, not the diff options', async () => {
    await assert.rejects(
      dbsafe.migrateBaselineFromDatabase(tmp, { shadowDatabaseUrl: UNREACHABLE }),
      { name: 'InvalidArgumentError', message: /unknown option 'shadowDatabaseUrl'/ },
    );
    await assert.rejects(dbsafe.migrate.baselineFromDatabase(tmp, { dryRun: true }), {
      name: 'InvalidArgumentError',
    });
  });
});

describe('the schema calls of the addon', () => {
  it('check their own arguments', () => {
    const addon = require(
      process.env.DBSAFE_NODE_ADDON
        ? path.resolve(process.env.DBSAFE_NODE_ADDON)
        : path.join(packageDir, 'build', 'Release', 'dbsafe.node'),
    );
    assert.throws(() => addon.schemaDump(42, 'sql', null, null, null), TypeError);
    assert.throws(() => addon.schemaDump(UNREACHABLE, 'yaml', null, null, null), RangeError);
    assert.throws(() => addon.schemaRender('empty', 'sql', null, {}, null), TypeError);
    assert.throws(() => addon.schemaDiff('empty', '', null, null, null), TypeError);
    assert.throws(() => addon.drift(UNREACHABLE, '', null, null, null), TypeError);
    assert.throws(() => addon.verify(UNREACHABLE, tmp, 5, null, null), TypeError);
    assert.throws(() => addon.verify(UNREACHABLE, tmp, null, null, 'x'), TypeError);
    assert.throws(() => addon.migrateBaselineFromDatabase(tmp, null, null, null, -1), RangeError);
  });
});
