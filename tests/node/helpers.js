'use strict';
// Shared paths for the Node binding's tests. The corpus lives beside the
// repository (../shared/corpus), resolved from the repository root.

const path = require('node:path');

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

module.exports = {
  repoRoot,
  corpusRoot,
  fixturesRoot,
  packageDir,
  binPath,
  CORPUS_COUNTS,
  corpusDir,
  childEnv,
};
