'use strict';
// dbsafe.maintenance(): the read-only window (docs/maintenance.md) from Node
// on a real PostgreSQL, off the event loop.

const assert = require('node:assert/strict');
const { describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { psql, withDatabase } = require('./support/postgres');

describe('maintenance', () => {
  it('opens, reports and closes the window; new sessions cannot write meanwhile', () =>
    withDatabase(async (url) => {
      await psql(url, 'CREATE TABLE t (id int)');
      // Another session holds the window's advisory lock for a second, so
      // `on` waits on the server: the event loop must keep running meanwhile.
      const holder = psql(
        url,
        "BEGIN; SELECT pg_advisory_xact_lock(hashtext('dbsafe.maintenance_window')); SELECT pg_sleep(1); COMMIT;",
      );
      for (let i = 0; i < 100; i++) {
        const held = await psql(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted");
        if (held.trim() === '1') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const on = await dbsafe.maintenance({ databaseUrl: url, action: 'on', actor: 'node-test' });
      clearInterval(timer);
      await holder;
      assert.ok(ticks >= 20, `the event loop ran only ${ticks} timer ticks during the call`);
      assert.equal(on.schema_version, 1);
      assert.equal(on.kind, 'dbsafe-maintenance');
      assert.equal(on.read_only, true);
      assert.equal(on.changed, true);
      assert.equal(on.window.opened_by, 'node-test');
      assert.equal(on.window.previous_setting, null);
      assert.equal(JSON.parse(on.json).action, 'on');

      await assert.rejects(psql(url, 'INSERT INTO t VALUES (1)'), /read-only transaction/);

      const again = await dbsafe.maintenance({ databaseUrl: new URL(url), action: 'on' });
      assert.equal(again.changed, false);
      assert.equal(again.window.since, on.window.since);

      // The lock holder connected before the window; it has gone since.
      const status = await dbsafe.maintenance({ databaseUrl: url, action: 'status', terminateWriters: true });
      assert.equal(status.read_only, true);
      assert.equal(status.not_terminated, 0);
      assert.deepEqual(
        (await dbsafe.maintenance({ databaseUrl: url, action: 'status' })).writers,
        [],
      );

      const off = await dbsafe.maintenance({ databaseUrl: url, action: 'off' });
      assert.equal(off.read_only, false);
      assert.equal(off.restored_setting, null);
      await psql(url, 'INSERT INTO t VALUES (2)');
    }));

  it('names bad options', async () => {
    await assert.rejects(
      dbsafe.maintenance({ action: 'sideways' }),
      (e) => e instanceof dbsafe.InvalidArgumentError && /'on', 'off' or 'status'/.test(e.message),
    );
    await assert.rejects(
      dbsafe.maintenance({ action: 'on', terminate: true }),
      (e) => e instanceof dbsafe.InvalidArgumentError && /unknown option 'terminate' of maintenance/.test(e.message),
    );
    await assert.rejects(
      dbsafe.maintenance({ action: 'off', terminateWriters: true, databaseUrl: 'postgresql://u@127.0.0.1:1/db' }),
      (e) => e instanceof dbsafe.InvalidArgumentError && /terminate_writers goes with/.test(e.message),
    );
  });
});
