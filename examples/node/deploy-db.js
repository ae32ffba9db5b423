// Runs the safe-deploy pipeline (docs/deploy.md) for one target of dbsafe.toml
// from a Node build step: check, gate, snapshot, apply, verify, audit. In a
// Vercel project's package.json:
//   "scripts": { "vercel-build": "node scripts/deploy-db.js production && next build" }
// or by hand:
//   node examples/node/deploy-db.js [TARGET]      (default: production)
// It exits with the report's exit code, so a deploy the gate stopped (1) fails
// the build; approve it with DBSAFE_APPROVE=1 or DBSAFE_APPROVED_BY=alice,bob.
const dbsafe = require('dbsafe');

/** @param {string} target */
async function main(target) {
  // Ctrl-C cancels the running statement on the server instead of leaving it behind.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const report = await dbsafe.deploy({
    target,
    signal: controller.signal,
    onProgress: (event) => {
      if (event.event === 'deploy-step') {
        console.log(`${event.step}: ${event.status}${event.detail ? ` (${event.detail})` : ''}`);
      }
    },
  });
  console.log(report.message);
  // A gate stop is a report, not an error: exit_code 1, outcome 'stopped' or 'blocked'.
  if (report.exit_code === 1) console.error(`stopped by the gate; approve with: ${report.gate.approve_hint}`);
  process.exitCode = report.exit_code;
}

main(process.argv[2] ?? 'production').catch((err) => {
  console.error(`${err.code ?? err.name}: ${err.message}`);
  // Once the target was read, a failure carries the deploy report: its exit
  // code, and after a snapshot the command that restores it.
  if (err.report?.restore_command) console.error(`restore with: ${err.report.restore_command}`);
  process.exitCode = err.report?.exit_code ?? (err instanceof dbsafe.CancelledError ? 130 : 3);
});
