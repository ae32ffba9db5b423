'use strict';
// The corpus listing through the Promise and the synchronous API.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { CORPUS_COUNTS, corpusDir, fixturesRoot } = require('./helpers');

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function byteOrder(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

describe('corpus listing', () => {
  for (const [project, count] of Object.entries(CORPUS_COUNTS)) {
    it(`${project}: ${count} Prisma migrations, each checksum the file's sha256`, async () => {
      const set = await dbsafe.migrations(corpusDir(project));
      assert.equal(set.schema_version, 1);
      assert.equal(set.layout, 'prisma');
      assert.equal(set.provider, 'postgresql');
      assert.equal(set.count, count);
      assert.equal(set.migrations.length, count);
      assert.deepEqual(set.repeatables, []);
      // The project directory holds one Prisma migrations directory below it.
      assert.ok(set.root.startsWith(corpusDir(project) + path.sep), set.root);
      assert.ok(fs.existsSync(path.join(set.root, 'migration_lock.toml')));

      const onDisk = fs
        .readdirSync(set.root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort(byteOrder);
      assert.deepEqual(
        set.migrations.map((m) => m.name),
        onDisk,
        'names in Prisma order (byte-wise sort)',
      );

      let total = 0;
      for (const m of set.migrations) {
        assert.equal(m.path, `${m.name}/migration.sql`);
        assert.equal(m.file, path.join(set.root, m.path));
        assert.equal(m.bytes, fs.statSync(m.file).size);
        assert.match(m.checksum, /^[0-9a-f]{64}$/);
        assert.equal(m.checksum, sha256(m.file), m.file);
        assert.equal(m.version, m.name.slice(0, m.name.indexOf('_')));
        assert.equal(m.down_path, null);
        assert.equal(typeof m.transactional, 'boolean');
        total += m.bytes;
      }
      assert.equal(set.total_bytes, total);
    });
  }

  it('keeps the exact JSON text as a non-enumerable `json`', async () => {
    const dir = corpusDir('hoppscotch');
    const set = await dbsafe.migrations(dir);
    const text = await dbsafe.migrationsJson(dir);
    assert.equal(typeof set.json, 'string');
    assert.equal(set.json, text);
    assert.ok(!Object.keys(set).includes('json'));
    assert.deepEqual(JSON.parse(text), { ...set });
    assert.ok(text.startsWith('{"schema_version":1,'));
  });

  it('gives the same listing synchronously', async () => {
    const dir = corpusDir('documenso');
    const text = await dbsafe.migrationsJson(dir);
    assert.equal(dbsafe.migrationsJsonSync(dir), text);
    const set = dbsafe.migrationsSync(dir);
    assert.equal(set.json, text);
    assert.equal(set.count, CORPUS_COUNTS.documenso);
  });

  it('accepts a file: URL', async () => {
    const dir = corpusDir('hoppscotch');
    const fromUrl = await dbsafe.migrations(new URL(`file://${dir}`));
    assert.equal(fromUrl.count, CORPUS_COUNTS.hoppscotch);
  });

  it('reads a layout given explicitly', async () => {
    const { root } = await dbsafe.migrations(corpusDir('hoppscotch'));
    const prisma = await dbsafe.migrations(root, { layout: 'prisma' });
    assert.equal(prisma.root, root);
    assert.equal(prisma.count, CORPUS_COUNTS.hoppscotch);
    const flyway = path.join(fixturesRoot, 'flyway');
    const set = await dbsafe.migrations(flyway, { layout: 'flyway' });
    assert.equal(set.layout, 'flyway');
    assert.ok(set.repeatables.length > 0);
    assert.equal(set.repeatables[0].version, '');
  });
});

describe('fixture layouts', () => {
  for (const layout of ['prisma', 'plain', 'flyway', 'dbmate', 'golang-migrate']) {
    it(`detects ${layout}`, async () => {
      const set = await dbsafe.migrations(path.join(fixturesRoot, layout));
      assert.equal(set.layout, layout);
      assert.equal(set.count, set.migrations.length);
      for (const m of [...set.migrations, ...set.repeatables]) {
        assert.equal(m.checksum, sha256(m.file));
      }
    });
  }
});

describe('checksumMatches', () => {
  it('compares like Prisma (as is, and CRLF/LF variants)', () => {
    const file = path.join(fixturesRoot, 'prisma-crlf', '20240301000000_crlf', 'migration.sql');
    const bytes = fs.readFileSync(file);
    const text = bytes.toString('utf8');
    assert.ok(text.includes('\r\n'), 'the fixture has CRLF line ends');
    const asIs = crypto.createHash('sha256').update(bytes).digest('hex');
    const lf = crypto.createHash('sha256').update(text.replaceAll('\r\n', '\n')).digest('hex');
    assert.equal(dbsafe.checksumMatches(bytes, asIs), true);
    assert.equal(dbsafe.checksumMatches(text, asIs), true);
    assert.equal(dbsafe.checksumMatches(bytes, lf), true);
    assert.equal(dbsafe.checksumMatches(bytes, '0'.repeat(64)), false);
    assert.equal(dbsafe.checksumMatches('', ''), false);
    assert.throws(() => dbsafe.checksumMatches(42, asIs), TypeError);
  });
});

describe('module', () => {
  it('reports its version and ABI', () => {
    const pkg = require('../../bindings/node/package.json');
    assert.equal(dbsafe.version, pkg.version);
    const { major, minor, patch } = dbsafe.versionInfo;
    assert.equal(`${major}.${minor}.${patch}`, dbsafe.version);
    assert.equal(dbsafe.abiVersion, 0);
    assert.equal(dbsafe.statusName(-3), 'DBSAFE_ENOTFOUND');
    assert.equal(dbsafe.statusName(-1000), 'DBSAFE_UNKNOWN');
    for (const [name, value] of Object.entries(dbsafe.Status)) {
      assert.equal(dbsafe.statusName(value), name);
    }
  });
});
