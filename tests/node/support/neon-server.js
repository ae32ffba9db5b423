'use strict';
// Starts and stops scripts/neon-test-server (the Neon API v2 test server
// whose branches are real databases on the tests' PostgreSQL server) for the
// node tests that need it.

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { repoRoot } = require('../helpers');

const NEON_SERVER = path.join(repoRoot, 'scripts', 'neon-test-server');

// Why the Neon API test server cannot run here, or false.
function neonServerUnavailable() {
  const executable = (file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (!executable('/usr/bin/python3')) return '/usr/bin/python3 is not installed';
  const onPath = (name) =>
    (process.env.PATH || '').split(path.delimiter).some((d) => d && executable(path.join(d, name)));
  if (!onPath('openssl')) return 'openssl is not on PATH (the server makes its certificates)';
  return false;
}

// Starts scripts/neon-test-server on the tests' PostgreSQL server with
// `apiKey` (and `extraArgs`); resolves with its NAME=VALUE lines (NEON_API_HOST,
// NEON_CA_FILE, NEON_PROJECT_ID, NEON_ADMIN_URL, ...) and the child.
function startNeonServer(databaseUrl, apiKey, extraArgs = []) {
  const child = spawn(NEON_SERVER, ['--database-url', databaseUrl, '--api-key', apiKey, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const vars = {};
    let buffer = '';
    const timer = setTimeout(() => fail('did not become ready in 60 s'), 60000);
    function fail(why) {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(new Error(`neon-test-server ${why}:\n${stderr.slice(-2000)}`));
    }
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code})`));
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const eq = line.indexOf('=');
        if (eq > 0) vars[line.slice(0, eq)] = line.slice(eq + 1);
        if (line === 'NEON_TEST_SERVER_READY=1') {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          child.once('exit', () => process.removeListener('exit', killOnExit));
          resolve({ child, vars });
        }
      }
    });
  });
}

// SIGTERM, then SIGKILL after 30 s: it drops its databases and roles first.
function stopNeonServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

module.exports = { neonServerUnavailable, startNeonServer, stopNeonServer };
