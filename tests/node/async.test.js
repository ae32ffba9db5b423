'use strict';
// The Promise API: off the event loop, AbortSignal, progress events.

const assert = require('node:assert/strict');
const { describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { CORPUS_COUNTS, corpusDir } = require('./helpers');

const projects = Object.keys(CORPUS_COUNTS);

describe('Promise API', () => {
  it('runs off the event loop: timers fire while the whole corpus is listed', async () => {
    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
    }, 1);
    try {
      // Every project twice, concurrently, on the libuv pool.
      const sets = await Promise.all(
        [...projects, ...projects].map((project) => dbsafe.migrations(corpusDir(project))),
      );
      assert.deepEqual(
        sets.slice(0, projects.length).map((s) => s.count),
        Object.values(CORPUS_COUNTS),
      );
    } finally {
      clearInterval(interval);
    }
    assert.ok(ticks >= 3, `the interval fired only ${ticks} times during the listing`);
  });

  it('returns a promise before any work is done', () => {
    const promise = dbsafe.migrations(corpusDir('hoppscotch'));
    assert.ok(promise instanceof Promise);
    return promise;
  });

  it('delivers every progress event on the JS thread, before the promise settles', async () => {
    const events = [];
    const set = await dbsafe.migrations(corpusDir('trigger.dev'), {
      onProgress: (event) => events.push(event),
    });
    assert.equal(events.length, set.count);
    events.forEach((event, index) => {
      assert.equal(event.event, 'migration_read');
      assert.equal(event.index, index);
      assert.equal(event.total, set.count);
      assert.equal(event.name, set.migrations[index].name);
    });
  });

  it('rejects at once with DBSAFE_ECANCELLED for an already-aborted signal', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    let progressed = false;
    await assert.rejects(
      dbsafe.migrations(corpusDir('hoppscotch'), {
        signal: controller.signal,
        onProgress: () => {
          progressed = true;
        },
      }),
      (error) => {
        assert.ok(error instanceof dbsafe.DbsafeError);
        assert.ok(error instanceof dbsafe.CancelledError);
        assert.equal(error.code, 'DBSAFE_ECANCELLED');
        assert.equal(error.status, -9);
        assert.equal(error.cause, reason);
        return true;
      },
    );
    assert.equal(progressed, false);
  });

  it('cancels when the signal is aborted from the first progress event', async () => {
    const controller = new AbortController();
    let events = 0;
    await assert.rejects(
      dbsafe.migrations(corpusDir('trigger.dev'), {
        signal: controller.signal,
        onProgress: () => {
          events += 1;
          controller.abort();
        },
      }),
      (error) => {
        assert.ok(error instanceof dbsafe.CancelledError);
        assert.equal(error.code, 'DBSAFE_ECANCELLED');
        assert.equal(error.status, dbsafe.Status.DBSAFE_ECANCELLED);
        return true;
      },
    );
    assert.ok(events >= 1 && events < CORPUS_COUNTS['trigger.dev'], `${events} events`);
  });

  it('cancels when the signal is aborted while the call runs', async () => {
    const controller = new AbortController();
    const pending = Promise.allSettled(
      projects.map((project) => dbsafe.migrations(corpusDir(project), { signal: controller.signal })),
    );
    controller.abort();
    const results = await pending;
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.equal(result.reason.code, 'DBSAFE_ECANCELLED');
    }
  });

  it('removes its abort listener when the call is done', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const added = [];
    const removed = [];
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (type, listener, options) => {
      added.push(listener);
      add(type, listener, options);
    };
    signal.removeEventListener = (type, listener, options) => {
      removed.push(listener);
      remove(type, listener, options);
    };
    await dbsafe.migrations(corpusDir('hoppscotch'), { signal });
    await assert.rejects(dbsafe.migrations('/nonexistent/dbsafe-node-test', { signal }));
    assert.equal(added.length, 2);
    assert.deepEqual(removed, added);
    controller.abort(); // no listener left: nothing happens
  });

  it('a signal that is never aborted changes nothing', async () => {
    const set = await dbsafe.migrations(corpusDir('langfuse'), { signal: new AbortController().signal });
    assert.equal(set.count, CORPUS_COUNTS.langfuse);
  });

  it('rejects with what the progress callback threw, and stops the call', async () => {
    const thrown = new Error('callback failed');
    let events = 0;
    await assert.rejects(
      dbsafe.migrations(corpusDir('trigger.dev'), {
        onProgress: () => {
          events += 1;
          throw thrown;
        },
      }),
      (error) => error === thrown,
    );
    assert.equal(events, 1);
  });

  it('a timeout that cannot expire changes nothing', async () => {
    const set = await dbsafe.migrations(corpusDir('hoppscotch'), { timeoutMs: 600000 });
    assert.equal(set.count, CORPUS_COUNTS.hoppscotch);
  });
});
