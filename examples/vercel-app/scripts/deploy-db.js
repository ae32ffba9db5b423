// The first half of `npm run vercel-build`: deploy the migrations for the
// environment Vercel is building (VERCEL_ENV) before the app is built.
//   production  -> [targets.production]: check, gate, snapshot, apply, verify
//   preview     -> [targets.preview]: a Neon branch for this git branch
//   development -> skipped ([vercel] in dbsafe.toml decides)
// A deploy the gate stops (a migration that loses data) fails the build with
// the command that approves it; re-deploy with DBSAFE_APPROVED_BY set.
const dbsafe = require('dbsafe');

async function main() {
  const report = await dbsafe.deploy({
    onProgress: (event) => {
      if (event.event === 'deploy-step' && event.status !== 'skipped') {
        console.log(`dbsafe ${event.step}: ${event.status}${event.detail ? ` (${event.detail})` : ''}`);
      }
    },
  });
  console.log(`dbsafe: ${report.message}`);
  if (report.branch) console.log(`dbsafe: this build uses branch ${report.branch.name}`);
  if (report.exit_code === 1) {
    console.error(`dbsafe: the build stops here: ${report.gate.approve_hint ?? 'a finding is refused by policy'}`);
    console.error('dbsafe: approve by setting DBSAFE_APPROVED_BY=<names> for the next deployment');
  }
  process.exitCode = report.exit_code;
}

main().catch((err) => {
  console.error(`dbsafe: ${err.message}`);
  if (err.report?.restore_command) console.error(`dbsafe: restore with: ${err.report.restore_command}`);
  process.exitCode = err.report?.exit_code || 3;
});
