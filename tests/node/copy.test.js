'use strict';
// dbsafe.copy from Node: a small SQLite database (made by the python3
// sqlite3 module) copied into a PostgreSQL schema, off the event loop, with
// progress events, then a conversion failure reported exactly.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { psql, withDatabase } = require('./support/postgres');
const { runExampleScript } = require('./helpers');

let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-copy-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sqlite(file, sql) {
  execFileSync('/usr/bin/python3', [
    '-c',
    'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()',
    file,
    sql,
  ]);
}

const SCHEMA =
  'CREATE TABLE "Player" (id int PRIMARY KEY, handle text NOT NULL, "isBanned" boolean NOT NULL, ' +
  '"createdAt" timestamp(3) NOT NULL, settings jsonb)';

describe('copy', () => {
  it('copies and verifies off the event loop, with progress', () =>
    withDatabase(async (url) => {
      await psql(url, SCHEMA);
      const file = path.join(tmp, 'ok.db');
      sqlite(
        file,
        'CREATE TABLE "Player" (id INTEGER PRIMARY KEY, handle TEXT, "isBanned" BOOLEAN, "createdAt" DATETIME, settings JSONB);' +
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) " +
          "INSERT INTO \"Player\" SELECT i, 'p' || i, i % 2, 1700000000000 + i, '{\"n\":' || i || '}' FROM n;",
      );
      const events = [];
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const report = await dbsafe.copy({
        from: file,
        to: url,
        onProgress: (event) => events.push(event),
      });
      clearInterval(timer);
      assert.equal(report.schema_version, 1);
      assert.equal(report.ok, true);
      assert.equal(report.rows_copied, 5000);
      assert.equal(report.tables[0].verification.equal, true);
      assert.ok(events.some((e) => e.event === 'copy-progress' && e.done && e.rows === 5000));
      assert.ok(ticks > 0, 'the event loop ran while the copy did');
      const row = await psql(
        url,
        'SELECT "isBanned", to_char("createdAt", \'YYYY-MM-DD HH24:MI:SS.MS\') FROM "Player" WHERE id = 3',
      );
      assert.equal(row.trim(), 't|2023-11-14 22:13:20.003');
    }));

  it('reports a value that does not convert, and rejects unknown options', () =>
    withDatabase(async (url) => {
      await psql(url, SCHEMA);
      const file = path.join(tmp, 'bad.db');
      sqlite(
        file,
        'CREATE TABLE "Player" (id INTEGER PRIMARY KEY, handle TEXT, "isBanned" BOOLEAN, "createdAt" DATETIME, settings JSONB);' +
          "INSERT INTO \"Player\" VALUES (1, 'a', 0, '2024-01-01T00:00:00.000Z', NULL), (2, 'b', 7, 0, '{}');",
      );
      const report = await dbsafe.copy({ from: `sqlite:${file}`, to: url });
      assert.equal(report.ok, false);
      assert.deepEqual(
        report.failures.map(({ table, rowid, column, value }) => [table, rowid, column, value]),
        [['Player', 2, 'isBanned', '7']],
      );
      assert.equal(report.tables[0].status, 'failed');
      await assert.rejects(dbsafe.copy({ from: file, to: url, trunc: true }), /unknown option 'trunc'/);

      // examples/node/copy.js: the same from a script; the failed table was rolled back.
      const example = await runExampleScript('copy.js', tmp, [`sqlite:${file}`], { DATABASE_URL: url });
      assert.equal(example.status, 1, example.stderr);
      assert.match(example.stdout, /cannot convert Player\.isBanned \(rowid 2\)/);
      assert.match(example.stdout, /NOT ok: 0 rows into 1 tables/);
    }));
});
