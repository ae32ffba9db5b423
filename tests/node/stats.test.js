'use strict';
// stats() and statsSync(): dbsafe_stats_collect against a real PostgreSQL;
// check()'s databaseUrl option; ConnectError (DBSAFE_ECONNECT) for a server
// that cannot be reached, whose message never holds the URL's password.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { psql, withDatabase } = require('./support/postgres');

const CANARY = 'canary-pw';
// Nothing listens on port 1; connect_timeout bounds the attempt anyway.
const UNREACHABLE = `postgresql://u:${CANARY}@127.0.0.1:1/db?connect_timeout=2`;

// Three rows in t, none in e, an index on e; ANALYZE so reltuples is known.
const SCHEMA = `
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, g::text FROM generate_series(1, 3) AS g;
CREATE TABLE e (id int, note text);
CREATE INDEX e_note_idx ON e (note);
ANALYZE;
`;

const VOLATILE_DEFAULT = 'ALTER TABLE t ADD COLUMN n uuid DEFAULT gen_random_uuid();\n';

function assertStats(stats) {
  assert.equal(stats.schema_version, 1);
  assert.ok(Number.isInteger(stats.server_version_num), String(stats.server_version_num));
  assert.ok(stats.server_version_num >= 100000, String(stats.server_version_num));

  assert.deepEqual(Object.keys(stats.tables).sort(), ['public.e', 'public.t']);
  const t = stats.tables['public.t'];
  assert.equal(t.row_estimate, 3);
  assert.equal(t.empty, false);
  assert.equal(t.index_count, 1);
  assert.ok(t.total_bytes > 0, String(t.total_bytes));
  const e = stats.tables['public.e'];
  assert.equal(e.empty, true);
  assert.equal(e.index_count, 1);
  assert.ok(e.row_estimate <= 0, String(e.row_estimate));

  assert.deepEqual(Object.keys(stats.indexes).sort(), ['public.e_note_idx', 'public.t_pkey']);
  const index = stats.indexes['public.e_note_idx'];
  assert.equal(index.table, 'public.e');
  assert.ok(Number.isInteger(index.idx_scan) && index.idx_scan >= 0, String(index.idx_scan));
  assert.ok(index.bytes > 0, String(index.bytes));
  assert.equal(stats.indexes['public.t_pkey'].table, 'public.t');

  // The exact text is there, not enumerable, and is the same document.
  assert.equal(typeof stats.json, 'string');
  assert.ok(!Object.keys(stats).includes('json'));
  assert.deepEqual(JSON.parse(stats.json), { ...stats });
}

function assertConnectError(error) {
  assert.ok(error instanceof dbsafe.ConnectError, String(error));
  assert.ok(error instanceof dbsafe.DbsafeError);
  assert.equal(error.name, 'ConnectError');
  assert.equal(error.code, 'DBSAFE_ECONNECT');
  assert.equal(error.status, -13);
  assert.equal(error.status, dbsafe.Status.DBSAFE_ECONNECT);
  assert.match(error.message, /cannot connect/);
  for (const text of [error.message, String(error.stack), JSON.stringify(error.detail)]) {
    assert.ok(!text.includes(CANARY), `the password leaked: ${text}`);
  }
  return true;
}

function assertImpact(report) {
  const findings = report.findings.filter((f) => f.rule === 'add-column-volatile-default');
  assert.equal(findings.length, 1, JSON.stringify(report.findings.map((f) => f.rule)));
  const { impact } = findings[0];
  assert.ok(impact, 'the finding has no impact');
  assert.equal(impact.table, 'public.t');
  assert.equal(impact.row_estimate, 3);
  assert.equal(impact.empty, false);
  assert.equal(impact.index_count, 1);
  assert.ok(impact.total_bytes > 0);
}

describe('stats', () => {
  let tmp;
  let migration;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-stats-'));
    migration = path.join(tmp, '001_add_n.sql');
    fs.writeFileSync(migration, VOLATILE_DEFAULT);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads tables, emptiness and indexes from a live database', () =>
    withDatabase(async (url) => {
      await psql(url, SCHEMA);
      const stats = await dbsafe.stats(url, { timeoutMs: 60000 });
      assertStats(stats);
      // The same from the synchronous call and a URL object.
      const again = dbsafe.statsSync(new URL(url));
      assertStats(again);
      assert.deepEqual(again.tables, stats.tables);
    }));

  it('its document is what check() takes as stats', () =>
    withDatabase(async (url) => {
      await psql(url, SCHEMA);
      const stats = await dbsafe.stats(url);
      assertImpact(await dbsafe.check(tmp, { stats }));
      // Without statistics there is no impact.
      const plain = await dbsafe.check(tmp);
      assert.ok(plain.findings.every((f) => f.impact === undefined));
    }));

  it('check() and checkSync() read the stats from databaseUrl', () =>
    withDatabase(async (url) => {
      await psql(url, SCHEMA);
      assertImpact(await dbsafe.check(tmp, { databaseUrl: url }));
      assertImpact(dbsafe.checkSync([migration], { databaseUrl: new URL(url) }));
    }));

  it('an unreachable server is a ConnectError without the password', async () => {
    await assert.rejects(dbsafe.stats(UNREACHABLE), assertConnectError);
    assert.throws(() => dbsafe.statsSync(UNREACHABLE), assertConnectError);
    await assert.rejects(dbsafe.check(tmp, { databaseUrl: UNREACHABLE }), assertConnectError);
    assert.throws(() => dbsafe.checkSync(tmp, { databaseUrl: UNREACHABLE }), assertConnectError);
  });

  it('an already-aborted signal rejects with a CancelledError before connecting', async () => {
    const controller = new AbortController();
    const reason = new Error('not now');
    controller.abort(reason);
    await assert.rejects(dbsafe.stats(UNREACHABLE, { signal: controller.signal }), (error) => {
      assert.ok(error instanceof dbsafe.CancelledError);
      assert.equal(error.code, 'DBSAFE_ECANCELLED');
      assert.equal(error.cause, reason);
      return true;
    });
  });

  it('rejects bad arguments without echoing the URL', async () => {
    await assert.rejects(dbsafe.stats(42), TypeError);
    await assert.rejects(dbsafe.stats(''), TypeError);
    await assert.rejects(dbsafe.stats(`${UNREACHABLE}\0`), (error) => {
      assert.ok(error instanceof TypeError);
      assert.ok(!error.message.includes(CANARY), error.message);
      return true;
    });
    await assert.rejects(dbsafe.stats(UNREACHABLE, 'fast'), TypeError);
    await assert.rejects(dbsafe.stats(UNREACHABLE, { timeoutMs: -1 }), {
      name: 'RangeError',
      code: 'ERR_OUT_OF_RANGE',
    });
    await assert.rejects(dbsafe.stats(UNREACHABLE, { signal: {} }), TypeError);
    await assert.rejects(dbsafe.stats(UNREACHABLE, { onProgress: () => {} }), (error) => {
      assert.ok(error instanceof dbsafe.InvalidArgumentError);
      assert.match(error.message, /unknown option 'onProgress'; the options are timeoutMs, signal/);
      return true;
    });
    assert.throws(() => dbsafe.statsSync(UNREACHABLE, { signal: new AbortController().signal }), TypeError);
    assert.throws(() => dbsafe.statsSync(null), TypeError);
    await assert.rejects(dbsafe.check(tmp, { databaseUrl: 5 }), TypeError);
    await assert.rejects(dbsafe.check(tmp, { databaseUrl: '' }), TypeError);
    assert.throws(() => dbsafe.checkSql(VOLATILE_DEFAULT, { databaseUrl: UNREACHABLE }), TypeError);
    assert.throws(() => dbsafe.checkSql(VOLATILE_DEFAULT, { databaseurl: UNREACHABLE }), (error) => {
      assert.ok(error instanceof dbsafe.InvalidArgumentError);
      assert.ok(!error.message.includes('databaseUrl'), error.message);
      return true;
    });
  });
});

describe('DBSAFE_ECONNECT', () => {
  it('is in Status with its own error class', () => {
    assert.equal(dbsafe.Status.DBSAFE_ECONNECT, -13);
    assert.equal(dbsafe.statusName(-13), 'DBSAFE_ECONNECT');
    const error = new dbsafe.ConnectError('no route', { status: -13 });
    assert.equal(error.code, 'DBSAFE_ECONNECT');
    assert.equal(error.name, 'ConnectError');
    assert.ok(error instanceof dbsafe.DbsafeError);
  });
});

describe('native addon: stats', () => {
  const addonPath = process.env.DBSAFE_NODE_ADDON
    ? path.resolve(process.env.DBSAFE_NODE_ADDON)
    : path.join(__dirname, '..', '..', 'bindings', 'node', 'build', 'Release', 'dbsafe.node');
  const addon = require(addonPath);

  it('a requested token makes dbsafe_stats_collect fail with DBSAFE_ECANCELLED', async () => {
    const token = addon.cancelNew();
    addon.cancelRequest(token);
    await assert.rejects(addon.stats(UNREACHABLE, token, null), (error) => {
      assert.equal(error.dbsafeStatus, -9);
      assert.equal(JSON.parse(error.dbsafeErrorJson).name, 'DBSAFE_ECANCELLED');
      return true;
    });
  });

  it('reports DBSAFE_ECONNECT with the error document', async () => {
    await assert.rejects(addon.stats(UNREACHABLE, null, null, 0), (error) => {
      assert.equal(error.dbsafeStatus, -13);
      assert.equal(error.dbsafeStatusName, 'DBSAFE_ECONNECT');
      assert.ok(!error.dbsafeErrorJson.includes(CANARY), error.dbsafeErrorJson);
      return true;
    });
  });

  it('checks its arguments itself', () => {
    assert.throws(() => addon.statsSync(42), TypeError);
    assert.throws(() => addon.statsSync(''), TypeError);
    assert.throws(() => addon.statsSync('postgresql://x\0y'), TypeError);
    assert.throws(() => addon.statsSync(UNREACHABLE, -1), RangeError);
    assert.throws(() => addon.stats(UNREACHABLE, {}, null), TypeError);
    assert.throws(() => addon.stats(UNREACHABLE, null, 5), TypeError);
  });
});
