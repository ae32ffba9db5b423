// The rotating pre-deploy backup of a deploy step, and putting it back:
//   node examples/node/provider.js backup           before the deploy
//   node examples/node/provider.js list             the snapshots there are
//   node examples/node/provider.js restore BRANCH   the backup back into BRANCH
// With NEON_API_KEY set it uses Neon (NEON_PROJECT_ID names the project),
// else the PostgreSQL server of DATABASE_URL (the local provider; BRANCH is
// then the database's name). Exit 0 done, 3 bad input or no such backup,
// 4 unreachable, 5 failed part-way, 130 cancelled.
const dbsafe = require('dbsafe');

const BACKUP = 'pre-deploy-backup';

/** @param {string[]} argv */
async function main([command, branch]) {
  const known = command === 'restore' ? Boolean(branch) : ['backup', 'list'].includes(command);
  if (!known || (command !== 'restore' && branch)) {
    console.error('usage: provider.js backup | list | restore BRANCH');
    process.exitCode = 3;
    return;
  }
  // Ctrl-C stops a wait (for a copy, for a Neon operation) instead of leaving it behind.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  /** @type {import('dbsafe').ProviderCallOptions} */
  const options = {
    signal: controller.signal,
    onLog: ({ level, message }) => {
      if (level !== 'debug') console.error(`  ${message}`);
    },
  };
  const provider = await dbsafe.openProvider({ kind: process.env.NEON_API_KEY ? 'neon' : 'local' });
  try {
    if (command === 'backup') {
      // The new snapshot is ready before the old one is deleted.
      const report = await provider.rotateSnapshot({ name: BACKUP, ...options });
      console.log(`backup ${report.snapshot.name} (${report.snapshot.id}) is ready`);
      if (report.replaced) console.log(`it replaced the one of ${report.replaced.created_at}`);
    } else if (command === 'list') {
      for (const s of await provider.listSnapshots(options)) {
        console.log(`${s.name}  ${s.id}  ${s.created_at}`);
      }
    } else {
      // A library cannot ask: `confirm` names the branch whose data is replaced.
      const result = await provider.restoreSnapshot(BACKUP, { confirm: branch, ...options });
      console.log(`restored ${BACKUP} into ${result.branch.name}`);
      console.log(`the data it replaced is kept as ${result.replaced_by}`);
    }
  } finally {
    await provider.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`${err.code ?? err.name}: ${err.message}`);
  if (err instanceof dbsafe.CancelledError) process.exitCode = 130;
  else if (err instanceof dbsafe.ConnectError || err instanceof dbsafe.AuthError) {
    process.exitCode = 4;
  } else if (err instanceof dbsafe.InvalidArgumentError || err instanceof dbsafe.NotFoundError) {
    process.exitCode = 3;
  } else process.exitCode = 5;
});
