'use strict';
// Proves the PostgreSQL harness in support/postgres.js: each withDatabase()
// database is real and separate, and is dropped afterwards.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { setTimeout: sleep } = require('node:timers/promises');

const { serverUrl, withDatabase, psql, psqlPath, urlForDatabase } = require('./support/postgres');

async function databaseExists(name) {
  const out = await psql(await serverUrl(), `SELECT 1 FROM pg_database WHERE datname = '${name}';`);
  return out.trim() === '1';
}

async function currentDatabase(url) {
  return (await psql(url, 'SELECT current_database();')).trim();
}

test('server answers and serverUrl() is stable', async () => {
  const url = await serverUrl();
  assert.match(url, /^postgres(ql)?:\/\//);
  assert.equal(await serverUrl(), url);
  assert.equal((await psql(url, 'SELECT 40 + 2;')).trim(), '42');
});

test('two databases are distinct and isolated', () =>
  withDatabase(async (a) =>
    withDatabase(async (b) => {
      assert.notEqual(a, b);
      const nameA = await currentDatabase(a);
      const nameB = await currentDatabase(b);
      assert.notEqual(nameA, nameB);
      assert.match(nameA, /^dbsafe_t_\d+_\d+_[0-9a-f]{8}$/);

      await psql(a, 'CREATE TABLE harness_probe (id int PRIMARY KEY); INSERT INTO harness_probe VALUES (1);');
      assert.equal((await psql(a, 'SELECT count(*) FROM harness_probe;')).trim(), '1');
      assert.equal((await psql(b, "SELECT to_regclass('public.harness_probe') IS NULL;")).trim(), 't');
    }),
  ));

test('the database is dropped afterwards, even with a session still open', async () => {
  let name;
  let lingering;
  let exited;
  await withDatabase(async (url) => {
    name = await currentDatabase(url);
    assert.ok(await databaseExists(name));
    lingering = spawn(psqlPath(), ['-X', '-q', '-d', url, '-c', 'SELECT pg_sleep(60);'], { stdio: 'ignore' });
    exited = new Promise((resolve) => lingering.on('exit', (code) => resolve(code)));
    const server = await serverUrl();
    for (let i = 0; i < 200; i += 1) {
      const active = await psql(server, `SELECT count(*) FROM pg_stat_activity WHERE datname = '${name}';`);
      if (active.trim() !== '0') break;
      await sleep(50);
    }
  });
  try {
    assert.equal(await databaseExists(name), false);
    assert.notEqual(await exited, 0); // its session was terminated by DROP ... WITH (FORCE)
  } finally {
    if (lingering.exitCode === null) lingering.kill();
  }
});

test('the database is dropped when the callback throws, and the error propagates', async () => {
  let name;
  await assert.rejects(
    withDatabase(async (url) => {
      name = await currentDatabase(url);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await databaseExists(name), false);
});

test('withDatabase returns the callback result and works in parallel', async () => {
  const names = await Promise.all(
    Array.from({ length: 5 }, () =>
      withDatabase(async (url) => {
        await psql(url, 'CREATE TABLE t (id int);');
        return currentDatabase(url);
      }),
    ),
  );
  assert.equal(new Set(names).size, 5);
  for (const name of names) assert.equal(await databaseExists(name), false);
});

test('failed SQL rejects with the server message', () =>
  withDatabase(async (url) => {
    await assert.rejects(psql(url, 'SELECT * FROM no_such_table;'), /no_such_table/);
  }));

test('urlForDatabase replaces only the database', () => {
  assert.equal(urlForDatabase('postgresql://u@127.0.0.1:5432/postgres', 'x'), 'postgresql://u@127.0.0.1:5432/x');
  assert.equal(
    urlForDatabase('postgres://u:p@h:1/db?sslmode=disable', 'x'),
    'postgres://u:p@h:1/x?sslmode=disable',
  );
  assert.equal(urlForDatabase('postgresql://u@h:1', 'x'), 'postgresql://u@h:1/x');
  assert.equal(urlForDatabase('postgresql://u@h:1?sslmode=disable', 'x'), 'postgresql://u@h:1/x?sslmode=disable');
  assert.equal(urlForDatabase('host=h port=1 dbname=postgres', 'x'), 'host=h port=1 dbname=postgres dbname=x');
});
