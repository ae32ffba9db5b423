'use strict';
// bindings/node/index.d.ts and index.d.mts against the code users write:
// `tsc --noEmit --strict` (TypeScript from tests/tools, pinned) over
// examples/node and the Vercel example, which are JavaScript checked with
// checkJs, so a wrong or missing declaration fails here. The JSON reports
// the library really produced are checked against their declared types the
// same way (object literals: a field the declarations lack, or one they
// require that is missing, fails).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { after, before, describe, it } = require('node:test');

const dbsafe = require('../../bindings/node');
const { childEnv, fixturesRoot, packageDir, repoRoot } = require('./helpers');
const { psql, withDatabase } = require('./support/postgres');

const toolsDir = path.join(repoRoot, 'tests', 'tools', 'node_modules');
const tsc = path.join(toolsDir, 'typescript', 'bin', 'tsc');

// The examples as a user's project has them: beside a node_modules/dbsafe
// (this package) and Node's own type declarations.
function makeProject(dir, files) {
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(packageDir, path.join(dir, 'node_modules', 'dbsafe'), 'dir');
  fs.symlinkSync(path.join(toolsDir, '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'typecheck', private: true }));
  const copied = [];
  for (const file of files) {
    const to = path.join(dir, path.relative(repoRoot, file));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(file, to);
    copied.push(path.relative(dir, to));
  }
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        allowJs: true,
        checkJs: true,
        noEmit: true,
        strict: true,
        // Node's own resolution: `require` picks index.d.ts, `import`
        // index.d.mts, through the package's "exports".
        module: 'node16',
        moduleResolution: 'node16',
        target: 'es2022',
        types: ['node'],
        skipLibCheck: false,
      },
      files: copied,
    }),
  );
}

function runTsc(dir) {
  return spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '-p', '.'], { cwd: dir, encoding: 'utf8' });
}

function examples() {
  const node = fs
    .readdirSync(path.join(repoRoot, 'examples', 'node'))
    .filter((f) => /\.(js|mjs|cjs)$/.test(f))
    .map((f) => path.join(repoRoot, 'examples', 'node', f));
  const vercel = fs
    .readdirSync(path.join(repoRoot, 'examples', 'vercel-app', 'scripts'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(repoRoot, 'examples', 'vercel-app', 'scripts', f));
  return [...node, ...vercel];
}

// Real reports as typed constants of a TypeScript file: tsc's excess-property
// and missing-property checks compare them with index.d.ts.
async function realReports() {
  const prismaApp = path.join(repoRoot, 'examples', 'prisma-app', 'prisma', 'migrations');
  const typed = [
    ['MigrationSet', dbsafe.migrationsSync(path.join(fixturesRoot, 'flyway')).json],
    ['MigrationSet', dbsafe.migrationsSync(prismaApp).json],
    ['CheckReport', dbsafe.checkSync(prismaApp).json],
    ['CheckReport', dbsafe.checkSql('ALTER TABLE t DROP COLUMN a;\nCREATE INDEX i ON t (x);\n').json],
  ];
  await withDatabase(async (url) => {
    typed.push(['CollectedStats', (await dbsafe.stats(url)).json]);
    typed.push(['MigrateReportDocument', (await dbsafe.migrate.status(prismaApp, { databaseUrl: url })).json]);
    typed.push(['MigrateReportDocument', (await dbsafe.migrate.deploy(prismaApp, { databaseUrl: url })).json]);
    typed.push(['CollectedStats', (await dbsafe.stats(url)).json]);
    typed.push(['VerifyReport', (await dbsafe.verify(url, prismaApp)).json]);
    typed.push(['DiffReport', (await dbsafe.drift(url, prismaApp)).json]);
    const diff = await dbsafe.schema.diff('empty', `migrations:${prismaApp}`, { serverUrl: url });
    typed.push(['DiffReport', diff.json]);
    // One object of each kind the model has, so the dump exercises its types.
    await psql(
      url,
      `CREATE SCHEMA extra;
       COMMENT ON SCHEMA extra IS 'more kinds';
       CREATE TYPE extra.mood AS ENUM ('ok', 'sad');
       CREATE DOMAIN extra.positive AS integer CHECK (VALUE > 0);
       CREATE TYPE extra.pair AS (a integer, b text);
       CREATE SEQUENCE extra.counter START 5 INCREMENT 2;
       CREATE TABLE extra.events (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         at date NOT NULL DEFAULT now(),
         mood extra.mood,
         n extra.positive,
         doubled integer GENERATED ALWAYS AS (n * 2) STORED,
         CHECK (at > '2000-01-01')
       ) WITH (fillfactor = 70);
       CREATE TABLE extra.log (at date NOT NULL, line text COLLATE "C") PARTITION BY RANGE (at);
       CREATE TABLE extra.log_2024 PARTITION OF extra.log FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
       CREATE INDEX events_at ON extra.events (at) WHERE mood IS NOT NULL;
       CREATE VIEW extra.recent AS SELECT id, at FROM extra.events WHERE at > '2024-01-01';
       CREATE MATERIALIZED VIEW extra.counts AS SELECT mood, count(*) FROM extra.events GROUP BY mood;
       CREATE FUNCTION extra.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
       CREATE TRIGGER touch BEFORE UPDATE ON extra.events FOR EACH ROW EXECUTE FUNCTION extra.touch();
       ALTER TABLE extra.events ENABLE ROW LEVEL SECURITY;
       CREATE POLICY mine ON extra.events FOR SELECT USING (n > 0);
       CREATE AGGREGATE extra.total(integer) (SFUNC = int4pl, STYPE = integer);`,
    );
    const model = await dbsafe.schema.dump(url, { format: 'json' });
    const kinds = JSON.parse(model);
    for (const kind of ['enums', 'domains', 'composite_types', 'sequences', 'views', 'functions', 'triggers',
      'policies', 'unsupported']) {
      assert.ok(kinds[kind]?.length > 0, `the dump has no ${kind}`);
    }
    typed.push(['SchemaModel', model]);
  });
  const names = [...new Set(typed.map(([type]) => type))].sort();
  return [
    `import type { ${names.join(', ')} } from 'dbsafe';`,
    // SchemaModel is parsed JSON text, without a `json` property.
    ...typed.map(([type, json], i) => `export const r${i}: Omit<${type}, 'json'> = ${json};`),
    // A field the declarations do not know must fail, so the check is real.
    "export const unknownField: Omit<MigrationSet, 'json'> = { ...r0, sha1: 'x' };",
    '',
  ].join('\n');
}

describe('TypeScript declarations', () => {
  let dir;
  before(() => {
    assert.ok(fs.existsSync(tsc), `${tsc} is missing: run npm ci in tests/tools`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbsafe-tsc-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is TypeScript 5, pinned', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'tests', 'tools', 'package.json'), 'utf8'));
    assert.match(pkg.devDependencies.typescript, /^5\.\d+\.\d+$/);
    const out = spawnSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' });
    assert.equal(out.stdout.trim(), `Version ${pkg.devDependencies.typescript}`);
  });

  it('type-checks examples/node, examples/vercel-app and real reports with --strict, and fails on a misuse', async () => {
    const files = examples();
    assert.ok(files.some((f) => f.endsWith('.mjs')), 'an ESM example checks index.d.mts');
    assert.ok(files.length >= 10, files.join('\n'));
    makeProject(dir, files);
    // One tsc run (it is slow): the examples must pass, and this file must
    // fail exactly where the declarations forbid it, so the check is real.
    fs.writeFileSync(
      path.join(dir, 'misuse.mjs'),
      [
        "import { check } from 'dbsafe';",
        "const report = await check('m', { runner: 'flyway' });",
        'report.summary.failed.toFixed();',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'reports.ts'), await realReports());
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
    cfg.files.push('misuse.mjs', 'reports.ts');
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(cfg));
    const out = runTsc(dir);
    const errors = out.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    assert.deepEqual(
      errors.map((line) => line.replace(/\(\d+,\d+\).*/, '')),
      ['misuse.mjs', 'misuse.mjs', 'reports.ts'],
      out.stdout + out.stderr,
    );
    assert.match(errors[0], /^misuse\.mjs\(2,35\): error TS2322: Type '"flyway"' is not assignable/);
    assert.match(errors[1], /^misuse\.mjs\(3,23\): error TS2339: Property 'toFixed' does not exist on type 'boolean'/);
    assert.match(errors[2], /error TS2353: Object literal may only specify known properties, and 'sha1'/);
    assert.equal(out.stdout.split('\n').filter((l) => l.startsWith('reports.ts')).length, 1, out.stdout);
  });

  it('runs the ESM example', () => {
    const project = path.join(dir, 'run');
    makeProject(project, [path.join(repoRoot, 'examples', 'node', 'check-migrations.mjs')]);
    const migrations = path.join(project, 'migrations');
    fs.mkdirSync(migrations);
    fs.writeFileSync(path.join(migrations, '001_a.sql'), 'CREATE TABLE t (id bigint, a text);\n');
    fs.writeFileSync(path.join(migrations, '002_b.sql'), 'ALTER TABLE t DROP COLUMN a;\n');
    const script = path.join(project, 'examples', 'node', 'check-migrations.mjs');
    const out = spawnSync(process.execPath, [script, migrations], { encoding: 'utf8', env: childEnv() });
    assert.equal(out.status, 1, out.stderr);
    assert.match(out.stdout, /002_b\.sql:1: error \[drop-column\] drops column a of public\.t/);
    const missing = spawnSync(process.execPath, [script, path.join(project, 'nope')], {
      encoding: 'utf8',
      env: childEnv(),
    });
    assert.equal(missing.status, 3, missing.stderr);
    assert.match(missing.stderr, /^DBSAFE_ENOTFOUND: /);
  });
});
