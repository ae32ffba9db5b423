// Moving off SQLite (docs/copy.md) from a Node script: the rows of a SQLite
// file copied into the PostgreSQL schema the team's migrations made, then
// verified, with one progress line per table.
//   node examples/node/copy.js sqlite:PATH [--dry-run]     (target: DATABASE_URL)
// Exit 0 copied and verified, 1 a value did not convert or verification found
// a difference (each is listed), 3 bad usage; other failures exit 2.
const dbsafe = require('dbsafe');

/** @param {string[]} argv */
async function main(argv) {
  const from = argv.find((a) => !a.startsWith('--'));
  if (!from) {
    console.error('usage: copy.js sqlite:PATH [--dry-run]   (the target is DATABASE_URL)');
    return 3;
  }
  const report = await dbsafe.copy({
    from,
    dryRun: argv.includes('--dry-run'),
    onProgress: (e) => {
      if (e.event === 'copy-progress' && e.done) {
        console.log(`${e.table}: ${e.rows} rows (${Math.round(Number(e.rows_per_second))} rows/s)`);
      }
    },
  });
  for (const failure of report.failures) {
    console.log(`cannot convert ${failure.table}.${failure.column} (rowid ${failure.rowid}): ${failure.reason}`);
  }
  for (const table of report.tables) {
    const check = table.verification;
    if (check && !check.equal) console.log(`${table.target}: ${check.differences_total} rows differ`);
  }
  console.log(`${report.ok ? 'ok' : 'NOT ok'}: ${report.rows_copied} rows into ${report.tables.length} tables`);
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`${err.code ?? err.name}: ${err.message}`);
    process.exitCode = 2;
  },
);
