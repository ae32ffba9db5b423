// check-migrations.js as an ES module, for projects with "type": "module":
// node examples/node/check-migrations.mjs prisma/migrations
import { check, DbsafeError } from 'dbsafe';

const dir = process.argv[2] ?? 'prisma/migrations';
try {
  const report = await check(dir, { runner: 'prisma' });
  for (const f of report.findings) {
    console.log(`${f.file}:${f.line}: ${f.level} [${f.rule}] ${f.message}`);
  }
  if (report.summary.failed) process.exitCode = 1;
} catch (err) {
  // Anything but a DbsafeError is a bug worth its stack trace.
  if (!(err instanceof DbsafeError)) throw err;
  console.error(`${err.code}: ${err.message}`);
  process.exitCode = 3;
}
