'use strict';
// Failures become DbsafeError with the C error's fields; bad arguments are
// TypeError/RangeError.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { corpusDir, fixturesRoot } = require('./helpers');

const missing = path.join(os.tmpdir(), `dbsafe-node-missing-${process.pid}`);

function assertNotFound(error) {
  assert.ok(error instanceof Error);
  assert.ok(error instanceof dbsafe.DbsafeError);
  assert.ok(error instanceof dbsafe.NotFoundError);
  assert.equal(error.name, 'NotFoundError');
  assert.equal(error.code, 'DBSAFE_ENOTFOUND');
  assert.equal(error.status, -3);
  assert.equal(error.file, missing);
  assert.ok(error.message.includes(missing), error.message);
  assert.equal(error.sqlstate, null);
  assert.equal(error.httpStatus, null);
  assert.deepEqual(error.detail, {});
  return true;
}

describe('errors', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-errors-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a missing directory rejects with DBSAFE_ENOTFOUND and its file', async () => {
    await assert.rejects(dbsafe.migrations(missing), assertNotFound);
    await assert.rejects(dbsafe.migrationsJson(missing), assertNotFound);
  });

  it('the synchronous API throws the same error', () => {
    assert.throws(() => dbsafe.migrationsSync(missing), assertNotFound);
    assert.throws(() => dbsafe.migrationsJsonSync(missing), assertNotFound);
  });

  it('a file over maxFileBytes is DBSAFE_EINVALID naming that file', async () => {
    const { root } = await dbsafe.migrations(corpusDir('hoppscotch'));
    await assert.rejects(dbsafe.migrations(root, { maxFileBytes: 100 }), (error) => {
      assert.ok(error instanceof dbsafe.InvalidArgumentError);
      assert.equal(error.code, 'DBSAFE_EINVALID');
      assert.equal(error.status, -2);
      assert.ok(error.file.startsWith(root), error.file);
      assert.ok(fs.existsSync(error.file), error.file);
      return true;
    });
  });

  it('an empty migration file is an error with a position', async () => {
    const dir = path.join(tmp, 'empty');
    fs.mkdirSync(path.join(dir, '20240101000000_empty'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    fs.writeFileSync(path.join(dir, '20240101000000_empty', 'migration.sql'), '');
    await assert.rejects(dbsafe.migrations(dir), (error) => {
      assert.ok(error instanceof dbsafe.DbsafeError);
      assert.equal(error.code, 'DBSAFE_EINVALID');
      assert.ok(error.file.endsWith(path.join('20240101000000_empty', 'migration.sql')), error.file);
      assert.equal(error.line, 1);
      assert.equal(error.column, 1);
      return true;
    });
  });

  it('rejects bad arguments with TypeError or RangeError before any work', async () => {
    const dir = path.join(fixturesRoot, 'prisma');
    await assert.rejects(dbsafe.migrations(42), TypeError);
    await assert.rejects(dbsafe.migrations(''), TypeError);
    await assert.rejects(dbsafe.migrations(dir, 'prisma'), TypeError);
    await assert.rejects(dbsafe.migrations(dir, { layout: 'liquibase' }), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
    });
    await assert.rejects(dbsafe.migrations(dir, { maxFileBytes: -1 }), {
      name: 'RangeError',
      code: 'ERR_OUT_OF_RANGE',
    });
    await assert.rejects(dbsafe.migrations(dir, { timeoutMs: 1.5 }), RangeError);
    await assert.rejects(dbsafe.migrations(dir, { timeoutMs: 2 ** 32 }), RangeError);
    await assert.rejects(dbsafe.migrations(dir, { signal: {} }), TypeError);
    await assert.rejects(dbsafe.migrations(dir, { onProgress: 'yes' }), TypeError);
    await assert.rejects(dbsafe.migrations(`${dir}\0x`), TypeError);
    assert.throws(() => dbsafe.migrationsSync(dir, { signal: new AbortController().signal }), TypeError);
    assert.throws(() => dbsafe.cliMain('list'), TypeError);
    assert.throws(() => dbsafe.cliMain(['dbsafe', 1]), TypeError);
  });

  it('DbsafeError can be built by hand', () => {
    const error = new dbsafe.DbsafeError('boom', { status: -5, sqlstate: '42P01', line: 3 });
    assert.equal(error.code, 'DBSAFE_EDB');
    assert.equal(error.sqlstate, '42P01');
    assert.equal(error.line, 3);
    assert.equal(error.column, null);
    assert.equal(error.name, 'DbsafeError');
    assert.ok(error instanceof Error);
  });
});

describe('native addon', () => {
  // The raw addon the JS layer wraps; it checks its own arguments too.
  const addonPath = process.env.DBSAFE_NODE_ADDON
    ? path.resolve(process.env.DBSAFE_NODE_ADDON)
    : path.join(__dirname, '..', '..', 'bindings', 'node', 'build', 'Release', 'dbsafe.node');
  const addon = require(addonPath);

  it('accepts only its own type-tagged cancel tokens', () => {
    const token = addon.cancelNew();
    assert.equal(addon.cancelIsRequested(token), false);
    addon.cancelRequest(token);
    addon.cancelRequest(token);
    assert.equal(addon.cancelIsRequested(token), true);
    assert.throws(() => addon.cancelRequest({}), TypeError);
    assert.throws(() => addon.cancelRequest(undefined), TypeError);
    assert.throws(() => addon.migrationsOpen('.', {}, {}, null), TypeError);
  });

  it('a requested token makes the call fail with DBSAFE_ECANCELLED', async () => {
    const token = addon.cancelNew();
    addon.cancelRequest(token);
    await assert.rejects(addon.migrationsOpen(corpusDir('hoppscotch'), {}, token, null), (error) => {
      assert.equal(error.dbsafeStatus, -9);
      assert.equal(JSON.parse(error.dbsafeErrorJson).name, 'DBSAFE_ECANCELLED');
      return true;
    });
  });

  it('checks option types itself', () => {
    assert.throws(() => addon.migrationsOpenSync('.', { layout: 3 }), TypeError);
    assert.throws(() => addon.migrationsOpenSync('.', { layout: 'nope' }), RangeError);
    assert.throws(() => addon.migrationsOpenSync('.', { maxFileBytes: NaN }), RangeError);
    assert.throws(() => addon.migrationsOpenSync('.', { timeoutMs: '1' }), TypeError);
    assert.throws(() => addon.migrationsOpen('.', {}, null, 5), TypeError);
  });
});
