'use strict';
// Snapshots and branches from Node (Provider, openProvider): the local
// provider on a real PostgreSQL database, and the Neon provider against the
// Neon API v2 test server (scripts/neon-test-server) whose branches are real
// databases on the same server. A restore must bring real data back; the API
// key (a canary) must never show in an error, a log line or a report.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { childEnv, packageDir, repoRoot } = require('./helpers');
const { psql, serverUrl, withDatabase } = require('./support/postgres');
const { neonServerUnavailable, startNeonServer, stopNeonServer } = require('./support/neon-server');

const CANARY_KEY = `napi_canary_node_${process.pid}_7d41c0e9b2`;

let counter = 0;
const unique = (prefix) => `${prefix}-${process.pid}-${++counter}`;

async function count(url, table = 't') {
  return Number((await psql(url, `SELECT count(*) FROM ${table};`)).trim());
}

async function rejectsWith(promise, ErrorClass, pattern) {
  const error = await promise.then(
    () => assert.fail(`expected a ${ErrorClass.name}`),
    (e) => e,
  );
  assert.ok(error instanceof ErrorClass, `${error.name}: ${error.message}`);
  if (pattern) assert.match(error.message, pattern);
  return error;
}

describe('openProvider', () => {
  it('names a bad or unknown option, never the key', async () => {
    let error = await rejectsWith(
      dbsafe.openProvider({ kind: 'local', databaseUrl: 'postgresql://x/app', bogus: 1 }),
      dbsafe.InvalidArgumentError,
      /unknown option 'bogus' of openProvider/,
    );
    assert.equal(error.code, 'DBSAFE_EINVALID');
    error = await rejectsWith(
      dbsafe.openProvider({ apiKey: CANARY_KEY, projectId: 'p', operationTimeoutMs: -5 }),
      dbsafe.InvalidArgumentError,
      /^dbsafe: options\.operationTimeoutMs must be a non-negative integer/,
    );
    await rejectsWith(
      dbsafe.openProvider({ kind: 'cloud' }),
      dbsafe.InvalidArgumentError,
      /"neon" and "local"/,
    );
    await rejectsWith(
      dbsafe.openProvider({ kind: 'local', databaseUrl: 'postgresql://x/postgres' }),
      dbsafe.InvalidArgumentError,
      /cannot be "postgres"/,
    );
    assert.ok(!util.inspect(error).includes(CANARY_KEY));
    assert.throws(() => new dbsafe.Provider(), /openProvider/);
  });

  it('checks method options before any request, naming them', async () => {
    const provider = await dbsafe.openProvider({
      kind: 'neon',
      apiKey: CANARY_KEY,
      projectId: 'p',
      apiHost: 'https://127.0.0.1:9/api/v2',
    });
    assert.equal(provider.kind, 'neon');
    await rejectsWith(
      provider.applySnapshotRetention({ namePrefix: 'x', keepLast: -1 }),
      dbsafe.InvalidArgumentError,
      /^dbsafe: options\.keepLast must be a non-negative integer$/,
    );
    await rejectsWith(
      provider.createBranch({ name: 'x', withEndpoint: 'yes' }),
      dbsafe.InvalidArgumentError,
      /^dbsafe: options\.withEndpoint must be true or false$/,
    );
    await rejectsWith(
      provider.createSnapshot({ name: 'x', expiresAt: new Date('nonsense') }),
      dbsafe.InvalidArgumentError,
      /options\.expiresAt is an invalid Date/,
    );
    await rejectsWith(
      provider.pruneBranches({ keep: 1 }),
      dbsafe.InvalidArgumentError,
      /unknown option 'keep' of pruneBranches; the options are namePrefix, keepLast/,
    );
    await rejectsWith(provider.deleteBranch(''), TypeError, /nameOrId/);
    await rejectsWith(
      provider.restoreBranch('main', { confirm: 'main' }),
      dbsafe.InvalidArgumentError,
      /atTimestamp/,
    );
    assert.equal(provider.requestsMade, 0);
    await provider.close();
    await provider.close(); // any number of times
    assert.equal(provider.closed, true);
    await rejectsWith(provider.listBranches(), dbsafe.InvalidArgumentError, /provider is closed/);
    assert.equal(provider.requestsMade, 0);
  });
});

describe('the local provider', () => {
  it('snapshots, restores with real data back, branches and prunes', () =>
    withDatabase(async (url) => {
      const database = new URL(url).pathname.slice(1);
      await psql(url, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
      const provider = await dbsafe.openProvider({ kind: 'local', databaseUrl: url });
      const logs = [];
      const onLog = (record) => logs.push(record);
      try {
        const snapshot = await provider.createSnapshot({ name: 'before-deploy', onLog });
        assert.equal(snapshot.name, 'before-deploy');
        assert.equal(snapshot.source_branch_id, database);
        assert.equal(JSON.parse(snapshot.json).id, snapshot.id);
        assert.ok(logs.some((l) => l.level === 'info' && l.component === 'provider.local'));
        const snapshots = await provider.listSnapshots();
        assert.deepEqual(
          snapshots.map((s) => s.name),
          ['before-deploy'],
        );
        assert.match(snapshots.json, /^\{"schema_version":1,"snapshots":\[/);

        await psql(url, 'INSERT INTO t VALUES (2);');
        // A restore replaces data: without confirm, or with the wrong one, nothing happens.
        await rejectsWith(
          provider.restoreSnapshot('before-deploy'),
          dbsafe.InvalidArgumentError,
          new RegExp(`refusing to replace the data of branch ${database} .*confirm: "${database}"`),
        );
        await rejectsWith(
          provider.restoreSnapshot('before-deploy', { confirm: 'before-deploy' }),
          dbsafe.InvalidArgumentError,
          /options\.confirm "before-deploy" does not name branch/,
        );
        assert.equal(await count(url), 2);
        const restored = await provider.restoreSnapshot('before-deploy', { confirm: database });
        assert.equal(await count(url), 1, 'the snapshot brought the data back');
        assert.equal(restored.branch.name, database);
        assert.ok(restored.replaced_by.startsWith(`${database}_old_`), restored.replaced_by);

        // A branch is a copy with its own URL.
        const branch = await provider.createBranch({ name: 'feature' });
        assert.equal(branch.state, 'ready');
        assert.equal(await count(await provider.connectionUrl('feature')), 1);
        await rejectsWith(
          provider.deleteBranch('feature'),
          dbsafe.InvalidArgumentError,
          /refusing to delete branch feature .*confirm: "feature"/,
        );
        const deleted = await provider.deleteBranch('feature', { confirm: branch.id });
        assert.equal(deleted.id, branch.id);
        await rejectsWith(
          provider.deleteBranch(database, { confirm: database }),
          dbsafe.StateError,
        );
        await rejectsWith(
          provider.connectionUrl('feature'),
          dbsafe.NotFoundError,
        );
        // Point in time needs WAL archiving: refused.
        await rejectsWith(
          provider.restoreBranch(database, { atTimestamp: new Date(), confirm: database }),
          dbsafe.InvalidArgumentError,
        );

        // The rotating backup: the second rotation replaces the first.
        const first = await provider.rotateSnapshot();
        assert.equal(first.replaced, null);
        const second = await provider.rotateSnapshot({ onLog });
        assert.equal(second.replaced.id, first.snapshot.id);
        const retention = await provider.applySnapshotRetention({
          namePrefix: 'before-',
          keepLast: 0,
          dryRun: true,
        });
        assert.deepEqual(retention.deleted, ['before-deploy']);
        assert.equal(retention.dry_run, true);
        assert.equal((await provider.listSnapshots()).length, 2, 'a dry run deletes nothing');

        // The restore left the replaced data as an "(old ...)" branch: prune removes it.
        const prune = await provider.pruneBranches();
        assert.equal(prune.deleted.length, 1);
        assert.ok(prune.deleted[0].startsWith(`${database} (old `), prune.deleted[0]);
        assert.deepEqual(prune.kept, [{ name: database, reason: 'default branch' }]);

        await rejectsWith(
          provider.deleteSnapshot('nope', { confirm: 'nope' }),
          dbsafe.NotFoundError,
          /no snapshot named "nope"/,
        );
        // A log callback that throws stops the call, which rejects with what it threw.
        const stop = new Error('stop');
        await assert.rejects(
          provider.createSnapshot({
            name: 'interrupted',
            onLog: () => {
              throw stop;
            },
          }),
          (error) => error === stop,
        );
        for (const s of await provider.listSnapshots()) {
          await provider.deleteSnapshot(s.id, { confirm: s.name });
        }
        assert.deepEqual([...(await provider.listSnapshots())], []);
        assert.equal(provider.requestsMade, 0);

        // close() lets the calls already made finish, and refuses new ones.
        const pending = provider.listBranches();
        const closing = provider.close();
        assert.equal(provider.closed, true);
        await rejectsWith(provider.listBranches(), dbsafe.InvalidArgumentError, /closed/);
        assert.deepEqual(
          (await pending).map((b) => b.name),
          [database],
        );
        await closing;
      } finally {
        await provider.close();
      }
    }));
});

// --- Neon ---------------------------------------------------------------

describe('the Neon provider (Neon API test server)', { skip: neonServerUnavailable() }, () => {
  let server;
  let provider;
  const logs = [];
  const errors = [];
  const reports = [];
  // Call options whose log lines are kept for the key check.
  const logged = (options = {}) => ({ ...options, onLog: (record) => logs.push(record) });
  // Failures are kept for the key check too.
  const failing = async (promise, ErrorClass, pattern) => {
    const error = await rejectsWith(promise, ErrorClass, pattern);
    errors.push(error);
    return error;
  };

  function admin(method, route, body) {
    const url = new URL(`${server.vars.NEON_ADMIN_URL}${route}`);
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method,
          ca: fs.readFileSync(server.vars.NEON_CA_FILE),
          headers: { 'content-type': 'application/json' },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (d) => (text += d));
          response.on('end', () =>
            response.statusCode === 200
              ? resolve(JSON.parse(text))
              : reject(new Error(`${method} ${route}: ${response.statusCode} ${text}`)),
          );
        },
      );
      request.on('error', reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  function open(extra = {}) {
    return dbsafe.openProvider({
      kind: 'neon',
      apiHost: server.vars.NEON_API_HOST,
      apiKey: server.vars.NEON_API_KEY,
      projectId: server.vars.NEON_PROJECT_ID,
      caFile: server.vars.NEON_CA_FILE,
      pollIntervalMs: 100,
      operationTimeoutMs: 60000,
      ...extra,
    });
  }

  async function mainUrl() {
    return provider.connectionUrl('main', logged());
  }

  before(async () => {
    server = await startNeonServer(await serverUrl(), CANARY_KEY, ['--snapshot-quota', '10', '--operation-delay-ms', '100']);
    assert.equal(server.vars.NEON_API_KEY, CANARY_KEY);
    provider = await open();
    await psql(await mainUrl(), 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
  });

  after(async () => {
    try {
      await provider?.close();
    } finally {
      if (server) await stopNeonServer(server.child);
    }
  });

  it('creates, lists, connects to and deletes a branch', async () => {
    const name = unique('preview');
    const expiresAt = new Date(Date.now() + 3600 * 1000);
    const branch = await provider.createBranch(logged({ name, expiresAt }));
    reports.push(branch.json);
    assert.equal(branch.name, name);
    assert.equal(branch.state, 'ready');
    assert.match(branch.id, /^br-/);
    assert.equal(branch.expires_at.slice(0, 16), expiresAt.toISOString().slice(0, 16));
    const branches = await provider.listBranches(logged());
    reports.push(branches.json);
    assert.ok(branches.some((b) => b.id === branch.id));
    assert.ok(branches.find((b) => b.name === 'main').default);
    assert.equal(await count(await provider.connectionUrl(name, logged())), 1);

    await failing(
      provider.deleteBranch(name, logged({ confirm: 'main' })),
      dbsafe.InvalidArgumentError,
      new RegExp(`does not name branch ${name} \\(${branch.id}\\)`),
    );
    const deleted = await provider.deleteBranch(branch.id, logged({ confirm: name }));
    assert.equal(deleted.name, name);
    assert.ok(!(await provider.listBranches(logged())).some((b) => b.id === branch.id));
    await failing(
      provider.connectionUrl(name, logged()),
      dbsafe.NotFoundError,
      new RegExp(`no branch named "${name}"`),
    );
    await failing(
      provider.deleteBranch('main', logged({ confirm: 'main' })),
      dbsafe.StateError,
    );
    assert.ok(provider.requestsMade > 0);
  });

  it('restores a snapshot with the data back, then prunes what the restore left', async () => {
    const name = unique('pre-migration');
    const snapshot = await provider.createSnapshot(logged({ name }));
    reports.push(snapshot.json);
    assert.match(snapshot.id, /^snap-/);
    assert.ok((await provider.listSnapshots(logged())).some((s) => s.id === snapshot.id));
    await psql(await mainUrl(), 'INSERT INTO t VALUES (2);');

    await failing(
      provider.restoreSnapshot(name, logged()),
      dbsafe.InvalidArgumentError,
      /refusing to replace the data of branch main \(br-.*\) with snapshot .*confirm: "main"/,
    );
    await failing(
      provider.restoreSnapshot(name, logged({ targetBranch: 'nope', confirm: 'nope' })),
      dbsafe.NotFoundError,
      /no branch named "nope"/,
    );
    await failing(
      provider.restoreSnapshot(unique('missing'), logged({ confirm: 'main' })),
      dbsafe.NotFoundError,
      /no snapshot named/,
    );
    assert.equal(await count(await mainUrl()), 2);
    const restored = await provider.restoreSnapshot(name, logged({ confirm: 'main' }));
    reports.push(restored.json);
    assert.equal(restored.branch.name, 'main');
    assert.match(restored.replaced_by, /^main \(old/);
    assert.equal(await count(await mainUrl()), 1, 'the snapshot brought the data back');

    const dry = await provider.pruneBranches(logged({ dryRun: true }));
    reports.push(dry.json);
    assert.equal(dry.dry_run, true);
    assert.ok(dry.deleted.includes(restored.replaced_by), dry.json);
    assert.ok((await provider.listBranches(logged())).some((b) => b.name === restored.replaced_by));
    const pruned = await provider.pruneBranches(logged());
    assert.ok(pruned.deleted.includes(restored.replaced_by), pruned.json);
    assert.ok(pruned.kept.some((k) => k.name === 'main' && k.reason === 'default branch'));

    await provider.deleteSnapshot(name, logged({ confirm: snapshot.id }));
    assert.ok(!(await provider.listSnapshots(logged())).some((s) => s.id === snapshot.id));
  });

  it('rotates the backup, through a bridge branch when the quota is one', async () => {
    const name = unique('pre-deploy-backup');
    const first = await provider.rotateSnapshot(logged({ name }));
    reports.push(first.json);
    assert.equal(first.replaced, null);
    assert.equal(first.bridge_branch, null);
    const second = await provider.rotateSnapshot(logged({ name }));
    assert.equal(second.replaced.id, first.snapshot.id);
    assert.equal(second.bridge_branch, null);

    // Neon's Free plan: one snapshot at a time.
    for (const s of await provider.listSnapshots(logged())) {
      if (s.name !== name) await provider.deleteSnapshot(s.id, logged({ confirm: s.id }));
    }
    await admin('POST', '/config', { snapshot_quota: 1 });
    let third;
    try {
      third = await provider.rotateSnapshot(logged({ name }));
    } finally {
      await admin('POST', '/config', { snapshot_quota: 10 });
    }
    reports.push(third.json);
    assert.equal(third.replaced.id, second.snapshot.id);
    assert.ok(third.bridge_branch.startsWith(`${name}-bridge-`), third.json);
    const named = (await provider.listSnapshots(logged())).filter((s) => s.name === name);
    assert.deepEqual(
      named.map((s) => s.id),
      [third.snapshot.id],
    );
    assert.ok(!(await provider.listBranches(logged())).some((b) => b.name === third.bridge_branch));

    const retention = await provider.applySnapshotRetention(
      logged({ namePrefix: name, keepLast: 0, dryRun: true }),
    );
    reports.push(retention.json);
    assert.deepEqual(retention.deleted, [name]);
    assert.equal((await provider.listSnapshots(logged())).length, 1, 'a dry run deletes nothing');
    const kept = await provider.applySnapshotRetention(
      logged({ namePrefix: name, keepLast: 0, justTaken: third.snapshot.id }),
    );
    assert.deepEqual(kept.kept, [{ name, reason: 'just taken' }]);
    await provider.deleteSnapshot(name, logged({ confirm: name }));
  });

  it('an AbortSignal cancels a wait, and a call still queued behind it', async () => {
    await admin('POST', '/config', { operation_delay_ms: 1500 });
    const name = unique('cancelled');
    const slow = new AbortController();
    const queued = new AbortController();
    const started = Date.now();
    try {
      const creating = provider.createBranch(
        logged({ name, withEndpoint: false, signal: slow.signal }),
      );
      // Queued behind the create (one call at a time per provider).
      const listing = provider.listBranches(logged({ signal: queued.signal }));
      setTimeout(() => queued.abort(), 100);
      setTimeout(() => slow.abort(new Error('deploy cancelled')), 400);
      const listError = await failing(listing, dbsafe.CancelledError);
      assert.ok(Date.now() - started < 400, 'the queued call did not wait for the create');
      assert.equal(listError.code, 'DBSAFE_ECANCELLED');
      const createError = await failing(creating, dbsafe.CancelledError);
      assert.equal(createError.cause.message, 'deploy cancelled');
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    } finally {
      await admin('POST', '/config', { operation_delay_ms: 100 });
    }
    // The create still finishes on the server; the delete waits out its lock.
    await provider.deleteBranch(name, logged({ confirm: name }));
  });

  it('a refused key is an AuthError that never shows the key', async () => {
    const wrongKey = `napi_wrong_canary_${process.pid}`;
    const wrong = await open({ apiKey: wrongKey });
    const wrongLogs = [];
    try {
      const error = await failing(
        wrong.listBranches({ onLog: (r) => wrongLogs.push(r) }),
        dbsafe.AuthError,
      );
      assert.equal(error.httpStatus, 401);
      assert.ok(!util.inspect(error).includes(wrongKey), error.message);
      assert.ok(!JSON.stringify(wrongLogs).includes(wrongKey));
      assert.ok(wrong.requestsMade >= 1);
    } finally {
      await wrong.close();
    }
  });

  it('never shows the API key in an error, a log line or a report', () => {
    assert.ok(logs.length > 0, 'the calls logged what they did');
    for (const record of logs) assert.ok(!record.message.includes(CANARY_KEY), record.message);
    assert.ok(errors.length > 5);
    for (const error of errors) {
      assert.ok(!util.inspect(error).includes(CANARY_KEY), error.message);
      assert.ok(!JSON.stringify(error.detail).includes(CANARY_KEY), error.message);
    }
    for (const json of reports) assert.ok(!json.includes(CANARY_KEY), json);
    assert.ok(!util.inspect(provider, { showHidden: true }).includes(CANARY_KEY));
  });
});

describe('examples/node/provider.js', () => {
  const script = path.join(repoRoot, 'examples', 'node', 'provider.js');

  // Runs the example with `require('dbsafe')` resolved to this package.
  function runExample(args, env) {
    const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-example-'));
    fs.symlinkSync(packageDir, path.join(modules, 'dbsafe'), 'dir');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], {
        env: { ...childEnv(), NODE_PATH: modules, NEON_API_KEY: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => {
        fs.rmSync(modules, { recursive: true, force: true });
        resolve({ status, stdout, stderr });
      });
    });
  }

  it('is shown verbatim in docs/providers.md', () => {
    const text = fs.readFileSync(path.join(repoRoot, 'docs', 'providers.md'), 'utf8');
    const blocks = [...text.matchAll(/<!-- example: (\S+) -->\n```\w+\n([\s\S]*?)```/g)];
    // Other bindings show their own examples on the same page.
    const node = blocks.filter((m) => m[1] === 'examples/node/provider.js');
    assert.equal(node.length, 1, 'one block shows examples/node/provider.js');
    assert.equal(node[0][2], fs.readFileSync(script, 'utf8'));
  });

  it('takes the backup and puts it back (local provider)', () =>
    withDatabase(async (url) => {
      const database = new URL(url).pathname.slice(1);
      await psql(url, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
      const env = { DATABASE_URL: url };
      try {
        const backup = await runExample(['backup'], env);
        assert.equal(backup.status, 0, backup.stderr);
        assert.match(backup.stdout, /^backup pre-deploy-backup \(\w+\) is ready\n$/);
        await psql(url, 'INSERT INTO t VALUES (2);');

        const usage = await runExample(['restore'], env);
        assert.equal(usage.status, 3);
        assert.match(usage.stderr, /usage: provider\.js/);
        const wrong = await runExample(['restore', 'production'], env);
        assert.equal(wrong.status, 3);
        assert.match(wrong.stderr, new RegExp(`to go ahead pass \\{ confirm: "${database}" \\}`));
        assert.equal(await count(url), 2);

        const restore = await runExample(['restore', database], env);
        assert.equal(restore.status, 0, restore.stderr);
        assert.match(restore.stdout, new RegExp(`^restored pre-deploy-backup into ${database}\n`));
        assert.equal(await count(url), 1, 'the backup brought the data back');
      } finally {
        const provider = await dbsafe.openProvider({ kind: 'local', databaseUrl: url });
        for (const s of await provider.listSnapshots()) {
          await provider.deleteSnapshot(s.id, { confirm: s.id });
        }
        await provider.pruneBranches();
        await provider.close();
      }
    }));
});
