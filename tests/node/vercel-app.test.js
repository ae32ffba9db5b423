'use strict';
// examples/vercel-app: `npm run vercel-build` with the variables Vercel sets,
// against the Neon API test server (its branches are real databases on the
// tests' PostgreSQL server). Development skips, a preview deploys to a Neon
// branch of its own, production snapshots and deploys, and a migration that
// loses data fails the build until it is approved.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { childEnv, packageDir, repoRoot } = require('./helpers');
const { psql, serverUrl } = require('./support/postgres');
const { neonServerUnavailable, startNeonServer, stopNeonServer } = require('./support/neon-server');

const API_KEY = `napi_vercel_app_${process.pid}_5c1e`;
const APP = path.join(repoRoot, 'examples', 'vercel-app');

// A copy of the app, with `require('dbsafe')` resolving to this package as
// `npm install` of its file: dependency would make it.
function appCopy(tmp, name) {
  const dir = path.join(tmp, name);
  fs.cpSync(APP, dir, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|\.build|\.dbsafe|\.env[^/]*\.local)$/.test(src),
  });
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(packageDir, path.join(dir, 'node_modules', 'dbsafe'), 'dir');
  return dir;
}

// `npm run vercel-build` in `dir` with `env` over the Neon settings.
function vercelBuild(dir, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'vercel-build'], {
      cwd: dir,
      env: { ...childEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function buildInfo(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, '.build', 'info.json'), 'utf8'));
}

describe('examples/vercel-app: npm run vercel-build', { skip: neonServerUnavailable() }, () => {
  let tmp;
  let server;
  let neonEnv;
  let provider;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-vercel-app-'));
    server = await startNeonServer(await serverUrl(), API_KEY, ['--snapshot-quota', '10']);
    neonEnv = {
      NEON_API_HOST: server.vars.NEON_API_HOST,
      NEON_API_KEY: API_KEY,
      NEON_PROJECT_ID: server.vars.NEON_PROJECT_ID,
      NEON_CA_FILE: server.vars.NEON_CA_FILE,
      // Nothing the developer's shell has may decide for the build.
      DATABASE_URL: '',
      DIRECT_URL: '',
      DBSAFE_APPROVE: '',
      DBSAFE_APPROVED_BY: '',
      DBSAFE_SLACK_WEBHOOK_URL: '',
      GITHUB_STEP_SUMMARY: '',
    };
    provider = await dbsafe.openProvider({
      kind: 'neon',
      apiHost: neonEnv.NEON_API_HOST,
      apiKey: API_KEY,
      projectId: neonEnv.NEON_PROJECT_ID,
      caFile: neonEnv.NEON_CA_FILE,
    });
  });
  after(async () => {
    if (provider) await provider.close();
    if (server) await stopNeonServer(server.child);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('skips development builds', async () => {
    const dir = appCopy(tmp, 'development');
    const r = await vercelBuild(dir, { ...neonEnv, VERCEL_ENV: 'development' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /VERCEL_ENV=development: \[vercel\] development = "skip".*nothing was deployed/);
    assert.equal(buildInfo(dir).database, null);
  });

  it('deploys a preview to a Neon branch of its own, reused by the next push', async () => {
    const dir = appCopy(tmp, 'preview');
    const env = { ...neonEnv, VERCEL_ENV: 'preview', VERCEL_GIT_COMMIT_REF: 'feature/login' };
    const first = await vercelBuild(dir, env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /dbsafe branch: ok \(created branch preview\/feature\/login /);
    assert.match(first.stdout, /this build uses branch preview\/feature\/login/);
    assert.match(first.stdout, /applied 2 migrations/);

    // The build step read the branch's URLs from the file dbsafe wrote.
    const envFile = path.join(dir, '.env.production.local');
    assert.equal(fs.statSync(envFile).mode & 0o777, 0o600);
    const urls = Object.fromEntries(
      fs.readFileSync(envFile, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const info = buildInfo(dir);
    assert.equal(info.from_env_file, true);
    assert.ok(urls.DATABASE_URL.includes(info.database.split('/')[0]), info.database);
    assert.equal(await psql(urls.DIRECT_URL, 'SELECT count(*) FROM _prisma_migrations'), '2\n');
    // The password never reaches the build log.
    assert.ok(!first.stdout.includes(new URL(urls.DIRECT_URL).password));

    const branches = await provider.listBranches();
    const branch = branches.find((b) => b.name === 'preview/feature/login');
    assert.ok(branch, 'the preview branch exists');
    assert.ok(branch.expires_at, 'the preview branch expires');

    const again = await vercelBuild(dir, env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /reusing branch preview\/feature\/login/);
    assert.match(again.stdout, /the database is up to date/);
    assert.equal((await provider.listBranches()).filter((b) => b.name === 'preview/feature/login').length, 1);
  });

  it('deploys production after a snapshot and fails the build on data loss until approved', async () => {
    const dir = appCopy(tmp, 'production');
    const main = (await provider.listBranches()).find((b) => b.default);
    const url = await provider.connectionUrl(main.id);
    const env = { ...neonEnv, VERCEL_ENV: 'production', DATABASE_URL: url, DIRECT_URL: url };

    const first = await vercelBuild(dir, env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /dbsafe snapshot: ok \(rotating backup pre-deploy-backup/);
    assert.match(first.stdout, /applied 2 migrations/);
    assert.equal(buildInfo(dir).from_env_file, false);

    await psql(url, `INSERT INTO "Todo" (title) VALUES ('ship it')`);
    const drop = path.join(dir, 'prisma', 'migrations', '20240301000000_drop_title');
    fs.mkdirSync(drop);
    fs.writeFileSync(path.join(drop, 'migration.sql'), 'ALTER TABLE "Todo" DROP COLUMN "title";\n');
    const stopped = await vercelBuild(dir, env);
    assert.equal(stopped.code, 1, stopped.stdout);
    assert.match(stopped.stderr, /the build stops here: dbsafe deploy --target production --approve/);
    assert.ok(!fs.existsSync(path.join(dir, '.build', 'info.json')) || buildInfo(dir).vercel_env === 'production');
    assert.equal(await psql(url, `SELECT title FROM "Todo"`), 'ship it\n');

    const approved = await vercelBuild(dir, { ...env, DBSAFE_APPROVED_BY: 'alice' });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /applied 1 migration/);
    const audit = fs.readFileSync(path.join(dir, '.dbsafe', 'production-audit.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(
      audit.map((l) => JSON.parse(l).outcome),
      ['deployed', 'stopped', 'deployed'],
    );
  });
});
