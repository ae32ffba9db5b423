// The ESM entry point re-exports the CommonJS module.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

import dbsafe, { DbsafeError, migrations, migrationsJson, version } from '../../bindings/node/index.mjs';

const require = createRequire(import.meta.url);
const cjs = require('../../bindings/node');
const { corpusDir, CORPUS_COUNTS } = require('./helpers.js');

describe('ESM entry point', () => {
  it('exports the same objects as the CommonJS module', () => {
    assert.equal(dbsafe, cjs);
    assert.equal(migrations, cjs.migrations);
    assert.equal(DbsafeError, cjs.DbsafeError);
    assert.equal(version, cjs.version);
    for (const name of Object.keys(cjs)) assert.ok(name in dbsafe, name);
  });

  it('lists through the ESM names', async () => {
    const set = await migrations(corpusDir('hoppscotch'));
    assert.equal(set.count, CORPUS_COUNTS.hoppscotch);
    assert.equal(await migrationsJson(corpusDir('hoppscotch')), set.json);
  });

  it('the package exports resolve to the two entry points', async () => {
    const pkg = require('../../bindings/node/package.json');
    assert.equal(pkg.exports['.'].import.default, './index.mjs');
    assert.equal(pkg.exports['.'].require.default, './index.js');
    const esm = await import('../../bindings/node/index.mjs');
    for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
  });
});
