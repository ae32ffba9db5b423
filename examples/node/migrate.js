// Applies a Prisma migration directory from a Node deploy step (a
// `vercel-build` script, say) as `prisma migrate deploy` does, and says where
// a failure happened:
//   DATABASE_URL=postgresql://... node examples/node/migrate.js [MIGRATIONS_DIR]
// MIGRATIONS_DIR defaults to the sample app's (examples/prisma-app/prisma/migrations).
const path = require('node:path');
const dbsafe = require('dbsafe');

const SAMPLE_APP = path.join(__dirname, '..', 'prisma-app', 'prisma', 'migrations');

/** @param {string} dir */
async function main(dir) {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL to the database to migrate');
  // Ctrl-C cancels the running statement on the server instead of leaving it behind.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const report = await dbsafe.migrate.deploy(dir, {
    databaseUrl: process.env.DATABASE_URL,
    signal: controller.signal,
    onProgress: (event) => {
      if (event.event === 'migration-start') {
        console.log(`[${event.index}/${event.total}] ${event.migration} ...`);
      }
    },
  });
  for (const m of report.applied) {
    console.log(`applied ${m.name} (${m.steps} steps, ${Math.round(m.elapsed_ms)} ms)`);
  }
  if (report.status_code === 0) {
    console.log(`${report.migrations.length} migrations, database up to date`);
  }
}

main(process.argv[2] ?? SAMPLE_APP).catch((err) => {
  // The message names the file, line and column; a failed deploy's err.failure
  // also says whether its transaction was rolled back, and the command that
  // clears it.
  console.error(`${err.code ?? err.name}: ${err.message}`);
  if (err instanceof dbsafe.CancelledError) process.exitCode = 130;
  else process.exitCode = err.failure ? 5 : 3;
});
