// A scheduled drift check for CI: exits 1 when the database no longer matches
// its migrations, and prints what differs and the SQL that brings it back.
//   DATABASE_URL=postgresql://... node examples/node/drift.js [MIGRATIONS_DIR]
// MIGRATIONS_DIR defaults to prisma/migrations. Exit 0 no drift, 1 drift,
// 3 bad input, 4 the database cannot be reached.
const dbsafe = require('dbsafe');

/** @param {string} dir */
async function main(dir) {
  const url = process.env.DIRECT_URL || process.env.DATABASE_URL;
  if (!url) {
    console.error('set DATABASE_URL to the database to check');
    process.exitCode = 3;
    return;
  }
  const report = await dbsafe.drift(url, dir);
  if (!report.drift) {
    console.log('no drift');
    return;
  }
  for (const c of report.changes) console.log(`${c.destructive ? '!' : '-'} ${c.description}`);
  for (const w of report.warnings) console.log(`warning: ${w}`);
  process.stdout.write(`\n${report.sql}`);
  process.exitCode = 1;
}

main(process.argv[2] ?? 'prisma/migrations').catch((err) => {
  console.error(`${err.code ?? err.name}: ${err.message}`);
  const unreachable = err instanceof dbsafe.ConnectError || err instanceof dbsafe.AuthError;
  process.exitCode = unreachable ? 4 : 3;
});
