'use strict';
// Environment teardown while calls run: a terminated worker thread and
// process.exit() must neither crash nor hang (shared/C_ABI.md pitfalls 8, 9).

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { describe, it } = require('node:test');

const { childEnv, corpusDir, packageDir } = require('./helpers');

function runScript(source) {
  const result = spawnSync(process.execPath, ['-e', source], {
    env: childEnv(),
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(result.error, undefined);
  return result;
}

describe('teardown', () => {
  it('terminating a worker thread with listings in flight is clean', () => {
    const result = runScript(`
      const { Worker } = require('node:worker_threads');
      const workerSource = \`
        const { parentPort } = require('node:worker_threads');
        const dbsafe = require(${JSON.stringify(packageDir)});
        for (let i = 0; i < 4; i++) {
          dbsafe.migrations(${JSON.stringify(corpusDir('trigger.dev'))}, {
            onProgress: () => {},
            signal: new AbortController().signal,
          }).catch(() => {});
        }
        parentPort.postMessage('started');
      \`;
      (async () => {
        for (let i = 0; i < 12; i++) {
          const worker = new Worker(workerSource, { eval: true });
          await new Promise((resolve) => worker.once('message', resolve));
          await new Promise((resolve) => setTimeout(resolve, i % 4));
          await worker.terminate();
        }
        process.stdout.write('done');
      })();
    `);
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'done');
  });

  it('a worker thread that finishes its listing exits on its own', () => {
    const result = runScript(`
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const dbsafe = require(${JSON.stringify(packageDir)});
        let events = 0;
        dbsafe.migrations(${JSON.stringify(corpusDir('documenso'))}, { onProgress: () => events++ })
          .then((set) => parentPort.postMessage(set.count + '/' + events));
      \`, { eval: true });
      worker.on('message', (m) => process.stdout.write(m));
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '163/163');
  });

  it('process.exit() with listings in flight exits with its code', () => {
    for (const delay of [0, 2, 5]) {
      const result = runScript(`
        const dbsafe = require(${JSON.stringify(packageDir)});
        dbsafe.migrations(${JSON.stringify(corpusDir('trigger.dev'))}, { onProgress: () => {} });
        dbsafe.migrations(${JSON.stringify(corpusDir('langfuse'))});
        setTimeout(() => process.exit(7), ${delay});
      `);
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.status, 7, result.stderr);
    }
  });

  it('a pending listing keeps the process alive until it settles', () => {
    const result = runScript(`
      const dbsafe = require(${JSON.stringify(packageDir)});
      dbsafe.migrations(${JSON.stringify(corpusDir('trigger.dev'))}, { onProgress: () => {} })
        .then((set) => process.stdout.write(String(set.count)));
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '820');
  });

  it('the cancel token survives garbage collection while a call uses it', async () => {
    const v8 = require('node:v8');
    const vm = require('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    const path = require('node:path');
    const addon = require(
      process.env.DBSAFE_NODE_ADDON
        ? path.resolve(process.env.DBSAFE_NODE_ADDON)
        : path.join(packageDir, 'build', 'Release', 'dbsafe.node'),
    );
    // No JS reference to the token is kept: only the worker's reference
    // keeps it (and the dbsafe_cancel it wraps) alive during the call.
    const calls = [];
    for (let i = 0; i < 8; i++) {
      calls.push(addon.migrationsOpen(corpusDir('langfuse'), {}, addon.cancelNew(), null));
    }
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const texts = await Promise.all(calls);
    for (const text of texts) assert.equal(JSON.parse(text).count, 434);
    gc();
  });
});
