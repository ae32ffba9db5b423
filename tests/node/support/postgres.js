'use strict';
// PostgreSQL harness for node:test suites.
//
//   const { serverUrl, withDatabase, psql } = require('./support/postgres');
//
//   test('something', () => withDatabase(async (url) => {
//     await psql(url, 'CREATE TABLE t (id int);');
//   }));
//
// serverUrl() resolves to a server URL whose user may CREATE DATABASE: the
// value of DBSAFE_TEST_DATABASE_URL when set, otherwise a throwaway cluster
// started once per process with scripts/pg-throwaway and stopped (and removed)
// when the process exits. withDatabase(fn) creates a uniquely named database
// (dbsafe_t_<pid>_<counter>_<random>), calls fn(url), and drops it WITH (FORCE)
// afterwards, whatever fn did, so tests can run in parallel.
//
// Everything goes through the psql client (PATH first, then the PostgreSQL bin
// directory); there is no JavaScript PostgreSQL driver here.

const { execFile, execFileSync, spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const PG_THROWAWAY = path.join(REPO_ROOT, 'scripts', 'pg-throwaway');

let serverPromise = null;
let clusterDir = null;
let databaseCounter = 0;
let psqlCache = null;

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function whichSync(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

// The PostgreSQL bin directory, found like scripts/pg-throwaway does.
function pgBindir() {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const pgConfig = whichSync('pg_config');
  if (pgConfig) {
    try {
      const dir = execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim();
      if (dir && isExecutable(path.join(dir, 'psql'))) return dir;
    } catch {
      // fall through to the versioned directories
    }
  }
  const base = '/usr/lib/postgresql';
  let versions = [];
  try {
    versions = fs.readdirSync(base).filter((v) => isExecutable(path.join(base, v, 'bin', 'psql')));
  } catch {
    return null;
  }
  if (versions.length === 0) return null;
  versions.sort((a, b) => parseFloat(a) - parseFloat(b));
  return path.join(base, versions[versions.length - 1], 'bin');
}

// Path of the psql client.
function psqlPath() {
  if (psqlCache) return psqlCache;
  let found = whichSync('psql');
  if (!found) {
    const bindir = pgBindir();
    if (bindir && isExecutable(path.join(bindir, 'psql'))) found = path.join(bindir, 'psql');
  }
  if (!found) {
    throw new Error(
      "psql not found on PATH or in the PostgreSQL bin directory; install it with 'apt-get install postgresql-15'",
    );
  }
  psqlCache = found;
  return found;
}

// Runs `sql` (a script: several statements allowed) against `url` with
// `psql -X -v ON_ERROR_STOP=1`, resolving to its unaligned, tuples-only output.
function psql(url, sql) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PGAPPNAME: 'dbsafe-node-tests' };
    if (!env.PGCONNECT_TIMEOUT) env.PGCONNECT_TIMEOUT = '30';
    const child = spawn(psqlPath(), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `psql failed (${signal ? `signal ${signal}` : `exit ${code}`}) on ${url}:\n${sql}\n${stderr.trim()}`,
          ),
        );
    });
    child.stdin.on('error', () => {}); // psql may exit before reading everything
    child.stdin.end(sql);
  });
}

// `serverUrl` with its database replaced by `database`.
function urlForDatabase(serverUrl, database) {
  if (!serverUrl.includes('://')) return `${serverUrl} dbname=${database}`; // last dbname wins
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(serverUrl);
  if (!m) throw new Error(`not a PostgreSQL URL: ${serverUrl}`);
  return `${m[1]}/${database}${m[3] || ''}${m[4] || ''}`;
}

function quoteIdent(name) {
  return `"${name.replace(/"/g, '""')}"`;
}

function uniqueDatabaseName() {
  databaseCounter += 1;
  return `dbsafe_t_${process.pid}_${databaseCounter}_${crypto.randomBytes(4).toString('hex')}`;
}

function stopCluster() {
  if (!clusterDir) return;
  const dir = clusterDir;
  clusterDir = null;
  try {
    execFileSync(PG_THROWAWAY, ['stop', dir, '--remove'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    process.stderr.write(`postgres.js: stopping the cluster in ${dir} failed: ${err.message}\n`);
  }
}

function installCleanup() {
  process.once('exit', stopCluster);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      stopCluster();
      process.kill(process.pid, signal); // default action now that our handler is gone
    });
  }
}

function startCluster() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-nodetest-'));
  clusterDir = dir;
  installCleanup();
  return new Promise((resolve, reject) => {
    execFile(PG_THROWAWAY, ['start', dir], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const url = stdout.trim().split('\n').pop();
      if (err || !url) {
        stopCluster();
        reject(
          new Error(
            `${PG_THROWAWAY} start ${dir} failed (${err ? err.message.split('\n')[0] : 'no URL'}):\n` +
              `${stderr.trim()}\nSet DBSAFE_TEST_DATABASE_URL to use an existing server instead.`,
          ),
        );
        return;
      }
      resolve(url);
    });
  });
}

// Resolves to the server URL; starts the throwaway cluster on first call.
function serverUrl() {
  if (!serverPromise) {
    const external = process.env.DBSAFE_TEST_DATABASE_URL;
    serverPromise = external ? Promise.resolve(external) : startCluster();
  }
  return serverPromise;
}

// Creates a fresh database, awaits fn(url), drops the database; returns fn's result.
async function withDatabase(fn) {
  const server = await serverUrl();
  const name = uniqueDatabaseName();
  await psql(server, `CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0;`);
  try {
    return await fn(urlForDatabase(server, name));
  } finally {
    await psql(server, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE);`);
  }
}

module.exports = { serverUrl, withDatabase, psql, psqlPath, urlForDatabase };
