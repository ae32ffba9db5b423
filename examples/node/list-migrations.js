// Lists a migration set from Node: node examples/node/list-migrations.js DIR
const dbsafe = require('dbsafe');

/** @param {string} dir */
async function main(dir) {
  const set = await dbsafe.migrations(dir);
  console.log(`${set.count} ${set.layout} migrations in ${set.root}`);
  for (const m of set.migrations) console.log(m.name, m.checksum);
}

main(process.argv[2] ?? 'prisma/migrations').catch((err) => {
  // DbsafeError carries code, file, line and column.
  console.error(`${err.code}: ${err.message}`);
  process.exitCode = 3;
});
