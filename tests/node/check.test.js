'use strict';
// check(), checkSync() and checkSql(): the check report of dbsafe_check /
// dbsafe_check_sql, options mapped to the options document, errors as
// DbsafeError.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { pathToFileURL } = require('node:url');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { binPath, childEnv, repoRoot } = require('./helpers');

const CREATE = 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n';
const DROP = 'ALTER TABLE users DROP COLUMN email;\n';

const STATS = Object.freeze({
  schema_version: 1,
  server_version_num: 140005,
  tables: {
    'public.users': { row_estimate: 5000000, total_bytes: 2147483648, index_count: 2, empty: false },
  },
});

function assertDropColumn(finding, { file, line = 1, level = 'error' }) {
  assert.equal(finding.rule, 'drop-column');
  assert.equal(finding.level, level);
  assert.equal(finding.file, file);
  assert.equal(finding.line, line);
  assert.equal(finding.column, 1);
  assert.equal(finding.end_line, line);
  assert.ok(finding.end_column > 1, `end_column ${finding.end_column}`);
  assert.equal(finding.severity[0], 'data-loss');
  assert.match(finding.statement, /^ALTER TABLE users DROP COLUMN email/);
  assert.deepEqual(finding.objects, ['public.users.email']);
  assert.equal(finding.lock, 'ACCESS EXCLUSIVE');
  assert.equal(finding.rewrite, false);
  assert.equal(finding.scan, false);
  for (const field of ['message', 'why', 'fix']) {
    assert.equal(typeof finding[field], 'string');
    assert.ok(finding[field].length > 0, field);
  }
  assert.match(finding.fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(finding.impact, undefined);
}

function assertInvalid(pattern) {
  return (error) => {
    assert.ok(error instanceof dbsafe.DbsafeError, String(error));
    assert.ok(error instanceof dbsafe.InvalidArgumentError);
    assert.equal(error.code, 'DBSAFE_EINVALID');
    assert.equal(error.status, dbsafe.Status.DBSAFE_EINVALID);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('check', () => {
  let tmp;
  let dir;
  let drop;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-check-'));
    dir = path.join(tmp, 'migrations');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '001.sql'), CREATE);
    fs.writeFileSync(path.join(dir, '002.sql'), DROP);
    drop = path.join(dir, '002.sql');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('finds the dropped column, and the check fails', async () => {
    const report = await dbsafe.check(dir);
    assert.equal(report.schema_version, 1);
    const drops = report.findings.filter((f) => f.rule === 'drop-column');
    assert.equal(drops.length, 1);
    assertDropColumn(drops[0], { file: drop });
    assert.equal(drops[0].migration, '002');
    const { summary } = report;
    assert.equal(summary.files, 2);
    assert.equal(summary.statements, 2);
    assert.ok(summary.errors >= 1);
    assert.equal(summary.errors + summary.warnings + summary.infos, report.findings.length);
    assert.equal(summary.by_rule['drop-column'], 1);
    assert.equal(summary.pg_version, 15);
    assert.equal(summary.runner, 'safe');
    assert.equal(summary.fail_on, 'error');
    assert.equal(summary.failed, true);
  });

  it('keeps the exact JSON text as the non-enumerable `json`', async () => {
    const report = await dbsafe.check(dir);
    assert.equal(typeof report.json, 'string');
    assert.ok(!Object.keys(report).includes('json'));
    assert.deepEqual(JSON.parse(report.json), { ...report });
    assert.equal(dbsafe.checkSync(dir).json, report.json);
  });

  it('the JSON text is what `dbsafe check --format json` prints, which exits 1', async () => {
    const report = await dbsafe.check(dir);
    const result = spawnSync(process.execPath, [binPath, 'check', '--format', 'json', dir], {
      cwd: repoRoot,
      env: childEnv(),
      encoding: 'utf8',
    });
    assert.equal(result.error, undefined);
    assert.equal(result.stderr, '');
    assert.equal(result.status, 1);
    assert.ok(result.stdout.endsWith('\n'));
    assert.equal(result.stdout.slice(0, -1), report.json);
  });

  it('takes one path, a file: URL or a list of directories and .sql files', async () => {
    const one = await dbsafe.check([dir]);
    const url = await dbsafe.check(pathToFileURL(dir));
    assert.equal(url.json, one.json);
    const files = await dbsafe.check([path.join(dir, '001.sql'), drop]);
    assert.equal(files.summary.files, 2);
    const drops = files.findings.filter((f) => f.rule === 'drop-column');
    assert.equal(drops.length, 1);
    assert.equal(drops[0].line, 1);
    assert.equal(path.basename(drops[0].file), '002.sql');
  });

  it('maps the options onto the options document', async () => {
    const warning = await dbsafe.check(dir, { rules: { 'drop-column': 'warning' } });
    const drops = warning.findings.filter((f) => f.rule === 'drop-column');
    assert.equal(drops.length, 1);
    assert.equal(drops[0].level, 'warning');
    assert.equal(warning.summary.failed, false);

    const strict = dbsafe.checkSync(dir, { rules: { 'drop-column': 'warning' }, failOn: 'warning' });
    assert.equal(strict.summary.fail_on, 'warning');
    assert.equal(strict.summary.failed, true);

    const off = dbsafe.checkSync(dir, { rules: { 'drop-column': 'off' } });
    assert.equal(off.summary.by_rule['drop-column'], undefined);

    const tuned = dbsafe.checkSync(dir, {
      pgVersion: 13,
      runner: 'prisma',
      config: '-',
      layout: 'plain',
      maxFileBytes: 1 << 20,
      largeTableRows: 10,
      largeTableBytes: 1024,
      enable: [],
      timeoutMs: 600000,
    });
    assert.equal(tuned.summary.pg_version, 13);
    assert.equal(tuned.summary.runner, 'prisma');

    const only = await dbsafe.check(dir, { onlyMigrations: ['001'] });
    assert.equal(only.summary.files, 1);
    assert.equal(only.findings.some((f) => f.migration === '002'), false);
    assert.equal(only.summary.failed, false);

    // Options set to null or undefined are not set.
    const unset = await dbsafe.check(dir, { pgVersion: undefined, failOn: null, rules: null });
    assert.equal(unset.json, (await dbsafe.check(dir)).json);
  });

  it('uses table statistics, inline or from a file', async () => {
    const inline = await dbsafe.check(dir, { stats: STATS });
    const [finding] = inline.findings.filter((f) => f.rule === 'drop-column');
    assert.equal(finding.impact.table, 'public.users');
    assert.equal(finding.impact.row_estimate, 5000000);
    assert.equal(finding.impact.total_bytes, 2147483648);
    assert.equal(finding.impact.index_count, 2);
    assert.equal(finding.impact.empty, false);
    // The server's version is the target when pgVersion is not given.
    assert.equal(inline.summary.pg_version, 14);

    const file = path.join(tmp, 'stats.json');
    fs.writeFileSync(file, JSON.stringify(STATS));
    const fromFile = await dbsafe.check(dir, { statsFile: pathToFileURL(file) });
    assert.equal(fromFile.json, inline.json);
  });

  it('reads dbsafe.toml beside the migrations unless config is "-"', async () => {
    const project = path.join(tmp, 'with-config');
    fs.cpSync(dir, project, { recursive: true });
    fs.writeFileSync(path.join(project, 'dbsafe.toml'), '[rules]\ndrop-column = "info"\n');
    const configured = await dbsafe.check(project);
    assert.equal(configured.findings.find((f) => f.rule === 'drop-column').level, 'info');
    const ignored = await dbsafe.check(project, { config: '-' });
    assert.equal(ignored.findings.find((f) => f.rule === 'drop-column').level, 'error');
    const explicit = await dbsafe.check(dir, { config: path.join(project, 'dbsafe.toml') });
    assert.equal(explicit.findings.find((f) => f.rule === 'drop-column').level, 'info');
  });

  it('delivers a progress event per file, before the promise settles', async () => {
    const events = [];
    const report = await dbsafe.check(dir, { onProgress: (event) => events.push(event) });
    assert.deepEqual(
      events.map((e) => [e.event, e.index, e.total, e.name]),
      [
        ['migration_read', 0, 2, '001'],
        ['migration_read', 1, 2, '002'],
      ],
    );
    assert.equal(report.summary.files, 2);
  });

  it('rejects with what the progress callback threw', async () => {
    const thrown = new Error('stop');
    await assert.rejects(
      dbsafe.check(dir, {
        onProgress: () => {
          throw thrown;
        },
      }),
      (error) => error === thrown,
    );
  });

  it('an already-aborted signal rejects with DBSAFE_ECANCELLED', async () => {
    const controller = new AbortController();
    const reason = new Error('not now');
    controller.abort(reason);
    let progressed = false;
    await assert.rejects(
      dbsafe.check(dir, {
        signal: controller.signal,
        onProgress: () => {
          progressed = true;
        },
      }),
      (error) => {
        assert.ok(error instanceof dbsafe.CancelledError);
        assert.equal(error.code, 'DBSAFE_ECANCELLED');
        assert.equal(error.status, -9);
        assert.equal(error.cause, reason);
        return true;
      },
    );
    assert.equal(progressed, false);
  });

  it('a signal aborted from the first progress event cancels the call', async () => {
    const controller = new AbortController();
    await assert.rejects(
      dbsafe.check(dir, { signal: controller.signal, onProgress: () => controller.abort() }),
      { code: 'DBSAFE_ECANCELLED' },
    );
  });

  it('a bad option is DBSAFE_EINVALID naming the option as written', async () => {
    await assert.rejects(
      dbsafe.check(dir, { failOn: 'fatal' }),
      assertInvalid(/^dbsafe: options\.failOn must be "off", "info", "warning" or "error"$/),
    );
    await assert.rejects(
      dbsafe.check(dir, { rules: { 'drop-column': 'loud' } }),
      assertInvalid(/^dbsafe: options\.rules\.drop-column must be /),
    );
    await assert.rejects(dbsafe.check(dir, { pgVersion: 15.5 }), assertInvalid(/options\.pgVersion must be an integer/));
    await assert.rejects(dbsafe.check(dir, { runner: 'flyway' }), assertInvalid(/options\.runner must be "safe" or "prisma"/));
    await assert.rejects(dbsafe.check(dir, { enable: 'drop-column' }), assertInvalid(/options\.enable must be an array/));
    await assert.rejects(dbsafe.check(dir, { maxFileBytes: 0 }), assertInvalid(/options\.maxFileBytes must be positive/));
    await assert.rejects(dbsafe.check(dir, { layout: 'liquibase' }), assertInvalid(/options\.layout must be one of .*'liquibase'/));
    await assert.rejects(dbsafe.check(dir, { failon: 'error' }), assertInvalid(/unknown option 'failon'; the options are .*failOn/));
    await assert.rejects(dbsafe.check(dir, { stats: { a: 1n } }), assertInvalid(/options\.stats cannot be written as JSON/));
    await assert.rejects(dbsafe.check(dir, { stats: { tables: {} } }), assertInvalid(/schema_version/));
    assert.throws(() => dbsafe.checkSync(dir, { failOn: 'fatal' }), assertInvalid(/options\.failOn/));
    assert.throws(() => dbsafe.checkSql(DROP, { failOn: 'fatal' }), assertInvalid(/options\.failOn/));
  });

  it('a missing path or stats file is DBSAFE_ENOTFOUND', async () => {
    const missing = path.join(tmp, 'missing');
    await assert.rejects(dbsafe.check(missing), (error) => {
      assert.ok(error instanceof dbsafe.NotFoundError);
      assert.equal(error.file, missing);
      return true;
    });
    assert.throws(() => dbsafe.checkSync([dir, missing]), dbsafe.NotFoundError);
    await assert.rejects(dbsafe.check(dir, { statsFile: path.join(tmp, 'nope.json') }), {
      code: 'DBSAFE_ENOTFOUND',
    });
  });

  it('rejects bad arguments with TypeError or RangeError before any work', async () => {
    await assert.rejects(dbsafe.check(42), TypeError);
    await assert.rejects(dbsafe.check([]), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    await assert.rejects(dbsafe.check([dir, '']), TypeError);
    await assert.rejects(dbsafe.check(`${dir}\0x`), TypeError);
    await assert.rejects(dbsafe.check(dir, 'strict'), TypeError);
    await assert.rejects(dbsafe.check(dir, { timeoutMs: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(dbsafe.check(dir, { signal: {} }), TypeError);
    await assert.rejects(dbsafe.check(dir, { onProgress: 1 }), TypeError);
    assert.throws(() => dbsafe.checkSync(dir, { signal: new AbortController().signal }), TypeError);
    assert.throws(() => dbsafe.checkSql(42), TypeError);
    assert.throws(() => dbsafe.checkSql(DROP, { timeoutMs: 5 }), TypeError);
    assert.throws(() => dbsafe.checkSql(DROP, { name: 5 }), TypeError);
  });
});

describe('checkSql', () => {
  it('checks one text as a one-file migration named "<sql>"', () => {
    const report = dbsafe.checkSql(`-- drop it\n${DROP}`);
    const drops = report.findings.filter((f) => f.rule === 'drop-column');
    assert.equal(drops.length, 1);
    assertDropColumn(drops[0], { file: '<sql>', line: 2 });
    assert.equal(drops[0].migration, '<sql>');
    assert.equal(report.summary.files, 1);
    assert.equal(report.summary.statements, 1);
    assert.equal(report.summary.failed, true);
    assert.deepEqual(JSON.parse(report.json), { ...report });
  });

  it('takes a name, the options, and a Buffer', () => {
    const report = dbsafe.checkSql(Buffer.from(DROP), {
      name: 'db/002.sql',
      rules: { 'drop-column': 'warning' },
      pgVersion: 16,
    });
    const [finding] = report.findings.filter((f) => f.rule === 'drop-column');
    assertDropColumn(finding, { file: 'db/002.sql', level: 'warning' });
    assert.equal(finding.migration, 'db/002.sql');
    assert.equal(report.summary.pg_version, 16);
    assert.equal(report.summary.failed, false);
    const bytes = new Uint8Array(Buffer.from(DROP));
    const same = dbsafe.checkSql(bytes, {
      name: 'db/002.sql',
      rules: { 'drop-column': 'warning' },
      pgVersion: 16,
    });
    assert.equal(same.json, report.json);
  });

  it('a syntax error is a finding, not an exception', () => {
    const report = dbsafe.checkSql('ALTER TABLE users DROP COLUM email;', { name: 'bad.sql' });
    assert.equal(report.findings.length, 1);
    assert.equal(report.findings[0].rule, 'syntax-error');
    assert.equal(report.findings[0].file, 'bad.sql');
    assert.equal(report.summary.failed, true);
  });
});

describe('check in the native addon', () => {
  const addonPath = process.env.DBSAFE_NODE_ADDON
    ? path.resolve(process.env.DBSAFE_NODE_ADDON)
    : path.join(__dirname, '..', '..', 'bindings', 'node', 'build', 'Release', 'dbsafe.node');
  const addon = require(addonPath);
  let tmp;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-node-check-addon-'));
    fs.writeFileSync(path.join(tmp, '001.sql'), CREATE);
    fs.writeFileSync(path.join(tmp, '002.sql'), DROP);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('resolves with the report text; checkSync returns the same', async () => {
    const text = await addon.check([tmp], null, null, null);
    assert.equal(addon.checkSync([tmp], null), text);
    assert.equal(JSON.parse(text).summary.failed, true);
    const relaxed = addon.checkSync([tmp], '{"fail_on":"error","rules":{"drop-column":"info"}}', 0);
    assert.equal(JSON.parse(relaxed).summary.failed, false);
  });

  it('a requested token makes dbsafe_check fail with DBSAFE_ECANCELLED', async () => {
    const token = addon.cancelNew();
    addon.cancelRequest(token);
    await assert.rejects(addon.check([tmp], null, token, null), (error) => {
      assert.equal(error.dbsafeStatus, -9);
      assert.equal(JSON.parse(error.dbsafeErrorJson).name, 'DBSAFE_ECANCELLED');
      return true;
    });
  });

  it('passes the library errors on: no paths, a bad options document', () => {
    assert.throws(() => addon.checkSync([], null), (error) => {
      assert.equal(error.dbsafeStatusName, 'DBSAFE_EINVALID');
      assert.match(error.message, /no paths/);
      return true;
    });
    assert.throws(() => addon.checkSync([tmp], '[1]'), { dbsafeStatusName: 'DBSAFE_EINVALID' });
    assert.throws(() => addon.checkSync([tmp], '{"bogus":1}'), /unknown option "bogus"/);
    assert.throws(() => addon.checkSql('SELECT 1', null, '{'), { dbsafeStatusName: 'DBSAFE_EINVALID' });
  });

  it('checks its own arguments', () => {
    assert.throws(() => addon.checkSync(tmp, null), TypeError);
    assert.throws(() => addon.checkSync([1], null), TypeError);
    assert.throws(() => addon.checkSync([''], null), TypeError);
    assert.throws(() => addon.checkSync([tmp], {}), TypeError);
    assert.throws(() => addon.checkSync([tmp], '{}\0'), TypeError);
    assert.throws(() => addon.checkSync([tmp], null, -1), RangeError);
    assert.throws(() => addon.check([tmp], null, {}, null), TypeError);
    assert.throws(() => addon.check([tmp], null, null, 5), TypeError);
    assert.throws(() => addon.checkSql(5, null, null), TypeError);
    assert.throws(() => addon.checkSql('SELECT 1', 5, null), TypeError);
    assert.equal(JSON.parse(addon.checkSql('SELECT 1', null, null)).summary.files, 1);
  });
});
