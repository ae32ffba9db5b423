// Fails a vercel-build step when a migration would lose data:
// node examples/node/check-migrations.js prisma/migrations
const dbsafe = require('dbsafe');

/** @param {string} dir */
async function main(dir) {
  const report = await dbsafe.check(dir, { runner: 'prisma' });
  for (const f of report.findings) {
    console.log(`${f.file}:${f.line}: ${f.level} [${f.rule}] ${f.message}`);
  }
  if (report.summary.failed) process.exitCode = 1;
}

main(process.argv[2] ?? 'prisma/migrations').catch((err) => {
  console.error(`${err.code}: ${err.message}`);
  process.exitCode = 3;
});
