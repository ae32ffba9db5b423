// The guarded restore (docs/deploy.md, "Restore") from a Node ops script:
//   node examples/node/restore.js TARGET SNAPSHOT|TIME --confirm TARGET [--reapply]
// A safety snapshot of the current data comes first; the report names it, and
// the exit code is the CLI's (2: half-done, with the command that undoes it).
const dbsafe = require('dbsafe');

/** @param {string[]} argv */
async function main(argv) {
  const [target, from] = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--confirm');
  const confirm = argv[argv.indexOf('--confirm') + 1];
  if (!target || !from || !argv.includes('--confirm')) {
    console.error('usage: restore.js TARGET SNAPSHOT|TIME --confirm TARGET [--reapply]');
    return 3;
  }
  const report = await dbsafe.restore({
    target,
    from,
    confirm,
    reapply: argv.includes('--reapply'),
    onProgress: (e) => e.event === 'restore-step' && console.log(`${e.step}: ${e.status}`),
  });
  console.log(report.message);
  for (const warning of report.warnings) console.log(`warning: ${warning}`);
  return report.exit_code;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`${err.code ?? err.name}: ${err.message}`);
    if (err.report?.restore_command) console.error(`to undo: ${err.report.restore_command}`);
    process.exitCode = err.report?.exit_code || 3;
  },
);
