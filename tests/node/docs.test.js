'use strict';
// docs/node.md names every export of the module and every Provider member.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { repoRoot } = require('./helpers');

describe('docs/node.md', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'node.md'), 'utf8');
  const named = new Set(
    [...doc.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1].split(/[^\w]+/)).filter(Boolean),
  );

  it('names every export', () => {
    const missing = Object.keys(dbsafe).filter((name) => !named.has(name));
    assert.deepEqual(missing, []);
    for (const group of ['migrate', 'schema', 'backup']) {
      const members = Object.keys(dbsafe[group]).filter((name) => !named.has(name));
      assert.deepEqual(members, [], group);
    }
  });

  it('names every Provider member', () => {
    const members = Object.getOwnPropertyNames(dbsafe.Provider.prototype).filter(
      (name) => name !== 'constructor' && !named.has(name),
    );
    assert.ok(Object.getOwnPropertyNames(dbsafe.Provider.prototype).includes('rotateSnapshot'));
    assert.deepEqual(members, []);
  });
});
