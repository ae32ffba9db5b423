'use strict';
// Shared paths for the Node binding's tests. The corpus lives beside the
// repository (../shared/corpus), resolved from the repository root.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const repoRoot = path.resolve(__dirname, '..', '..');
const corpusRoot = path.resolve(repoRoot, '..', 'shared', 'corpus');
const fixturesRoot = path.join(repoRoot, 'tests', 'fixtures');
const packageDir = path.join(repoRoot, 'bindings', 'node');
const binPath = path.join(packageDir, 'bin', 'dbsafe.js');

/** Migration counts of the five corpus projects (shared/corpus/README.md). */
const CORPUS_COUNTS = Object.freeze({
  hoppscotch: 21,
  documenso: 163,
  'inbox-zero': 240,
  langfuse: 434,
  'trigger.dev': 820,
});

function corpusDir(project) {
  return path.join(corpusRoot, project);
}

/** The environment for a child process that loads the same addon as this one. */
function childEnv() {
  const env = { ...process.env };
  if (env.DBSAFE_NODE_ADDON) env.DBSAFE_NODE_ADDON = path.resolve(env.DBSAFE_NODE_ADDON);
  return env;
}

let exampleModules = null;

/**
 * Runs examples/node/SCRIPT as a user would after `npm install dbsafe`:
 * `require('dbsafe')` resolves to this package (through NODE_PATH and a
 * symlink in a temporary directory, removed when the process exits).
 * Resolves with { status, stdout, stderr }.
 */
function runExampleScript(script, cwd, args, env = {}) {
  if (!exampleModules) {
    exampleModules = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-example-modules-'));
    fs.symlinkSync(packageDir, path.join(exampleModules, 'dbsafe'), 'dir');
    const dir = exampleModules;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'examples', 'node', script), ...args], {
      cwd,
      env: { ...childEnv(), NODE_PATH: exampleModules, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

module.exports = {
  runExampleScript,
  repoRoot,
  corpusRoot,
  fixturesRoot,
  packageDir,
  binPath,
  CORPUS_COUNTS,
  corpusDir,
  childEnv,
};
