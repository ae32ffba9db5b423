// Seed 004's daily backup job, and its restore, from Node:
//   node examples/node/backup.js daily DIR            back up, verify, prune (7 days)
//   node examples/node/backup.js restore FILE DBNAME   put FILE back into DATABASE_URL
// The database is DIRECT_URL, else DATABASE_URL. Exit 0 done, 2 a backup
// failed its check (or the target is not empty), 3 bad input, 4 unreachable,
// 5 failed part-way (a restore is rolled back), 130 cancelled.
const dbsafe = require('dbsafe');

const EXIT = new Map([
  [dbsafe.StateError, 2],
  [dbsafe.InvalidArgumentError, 3],
  [dbsafe.NotFoundError, 3],
  [dbsafe.ConnectError, 4],
  [dbsafe.AuthError, 4],
  [dbsafe.CancelledError, 130],
]);

/** @param {string[]} argv */
async function main([command, target, database]) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort()); // stops pg_dump / rolls a restore back
  /** @type {import('dbsafe').BackupCallOptions} */
  const call = { signal: controller.signal, onLog: ({ message }) => console.error(`  ${message}`) };
  if (command === 'daily' && target) {
    const { backup } = await dbsafe.backup.create({ dir: target, ...call });
    console.log(`backup ${backup.path}: ${backup.manifest.tables} tables, sha256 ${backup.manifest.sha256}`);
    // Read back to its end before the old ones go.
    const { verify } = await dbsafe.backup.verify({ file: backup.path, ...call });
    if (!verify.ok) {
      for (const check of verify.checks.filter((c) => !c.ok)) console.error(`${check.name}: ${check.detail}`);
      return 2;
    }
    const pruned = await dbsafe.backup.prune({ dir: target, keepDays: 7, keepMin: 3, ...call });
    console.log(`pruned ${pruned.deleted.length}, kept ${pruned.kept.length}`);
    return 0;
  }
  if (command === 'restore' && target && database) {
    // The database's name is the confirmation, like --confirm.
    const { restore } = await dbsafe.backup.restore({ file: target, confirm: database, ...call });
    console.log(`restored ${restore.path} into ${restore.database}: ${restore.tables} tables`);
    return 0;
  }
  console.error('usage: backup.js daily DIR | restore FILE DBNAME');
  return 3;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    // The message never holds a password.
    console.error(`${error.code ?? 'error'}: ${error.message}`);
    const match = [...EXIT].find(([ErrorClass]) => error instanceof ErrorClass);
    process.exitCode = match ? match[1] : 5;
  },
);
